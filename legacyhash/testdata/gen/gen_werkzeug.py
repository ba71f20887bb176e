"""Prints test vectors for Werkzeug's password hashes as a JSON array.

Hashes come from werkzeug.security.generate_password_hash (and, for the forms it reads
but never writes, from werkzeug.security._hash_internal, the function check_password_hash
itself uses). Every "oracle" is what check_password_hash answered for that exact pair;
"ok" and "error" are what the Go verifier must answer. Run through generate.sh.
"""

import importlib.metadata
import json
import sys

try:
    from werkzeug.security import _hash_internal, check_password_hash, generate_password_hash
except ImportError:
    sys.exit("werkzeug is not importable: pip install werkzeug, or apt-get install python3-werkzeug")

SOURCE = "werkzeug@" + importlib.metadata.version("werkzeug")

PW = {
    "ascii": "correct horse battery staple",
    "empty": "",
    "space": " ",
    "nfc": "p\u00e4ssw\u00f6rd",
    "nfd": "pa\u0308sswo\u0308rd",
    "cjk": "\u5bc6\u7801\U0001f511",
    "ctrl": "tab\there\nnewline\r",
    "nul": "nul\u0000inside",
}


def wrong_for(pw):
    """Wrong passwords close to the right one, the most telling first."""
    w = []
    if pw == PW["nfc"]:
        w.append(PW["nfd"])
    if pw == PW["nfd"]:
        w.append(PW["nfc"])
    if pw == "":
        w.append(" ")
    if pw == " ":
        w.append("")
    w += [pw + "!", pw[:-1]]
    if pw.upper() != pw:
        w.append(pw.upper())
    out = []
    for x in w:
        if x != pw and x not in out:
            out.append(x)
    return out


vectors = []


def add(case, password, pwhash, run_oracle=True, error=""):
    if run_oracle:
        try:
            said = "true" if check_password_hash(pwhash, password) else "false"
        except Exception as e:  # noqa: BLE001 - recorded, not hidden
            said = f"error: {type(e).__name__}: {e}"
    else:
        said = "not run: over the verifier's limits"
    if not error and said not in ("true", "false"):
        raise SystemExit(f"werkzeug {case}: oracle answered {said}")
    vectors.append(
        {
            "format": "werkzeug",
            "case": case,
            "source": SOURCE,
            "password": password,
            "hash": pwhash,
            "ok": not error and said == "true",
            "error": error,
            "oracle": said,
        }
    )


def add_set(case, password, pwhash, max_wrong=None):
    """The right password and its wrong neighbours; hashes at real-world cost get only
    the first neighbour (max_wrong=1), to keep the Go tests quick."""
    add(case, password, pwhash)
    for w in wrong_for(password)[:max_wrong]:
        add(case + ", wrong password", w, pwhash)


def raw(method, salt, password):
    """A hash in a form check_password_hash reads, built by the function it uses."""
    return f"{method}${salt}${_hash_internal(method, salt, password)[0]}"


for name in ("ascii", "nfc"):
    add_set(f"default (scrypt:32768:8:1), {name}", PW[name], generate_password_hash(PW[name]), 1)
add_set("method=pbkdf2 default (pbkdf2:sha256:1000000)", PW["ascii"], generate_password_hash(PW["ascii"], method="pbkdf2"), 1)
for name, pw in PW.items():
    add_set(f"pbkdf2:sha256:1000, {name}", pw, generate_password_hash(pw, method="pbkdf2:sha256:1000"))
for algo, iters in (("sha1", 1000), ("sha224", 1000), ("sha384", 1000), ("sha512", 2000)):
    add_set(f"pbkdf2:{algo}:{iters}", PW["ascii"], generate_password_hash(PW["ascii"], method=f"pbkdf2:{algo}:{iters}"))
for name in ("ascii", "empty", "cjk", "nul"):
    add_set(f"scrypt:1024:1:1, {name}", PW[name], generate_password_hash(PW[name], method="scrypt:1024:1:1"))
add_set("scrypt:16:2:3", PW["ascii"], generate_password_hash(PW["ascii"], method="scrypt:16:2:3"))
add_set("salt_length=1", PW["ascii"], generate_password_hash(PW["ascii"], method="pbkdf2:sha256:1000", salt_length=1))
add_set("salt_length=64", PW["ascii"], generate_password_hash(PW["ascii"], method="scrypt:1024:8:1", salt_length=64))
add_set("non-ASCII salt", PW["nfc"], raw("pbkdf2:sha256:1000", "s\u00e4lz:\u5869", PW["nfc"]))
add_set("scrypt without parameters (means 32768:8:1)", PW["ascii"], raw("scrypt", "abcdefgh", PW["ascii"]), 1)

good = generate_password_hash(PW["ascii"], method="pbkdf2:sha256:1000")
method, salt, hexhash = good.split("$", 2)
add("pbkdf2:sha256 without iterations (default of the checking release)", PW["ascii"], raw("pbkdf2:sha256", salt, PW["ascii"]), error="unsupported")
add("pbkdf2 without hash or iterations", PW["ascii"], raw("pbkdf2", salt, PW["ascii"]), error="unsupported")
add("pbkdf2:md5:1000", PW["ascii"], raw("pbkdf2:md5:1000", salt, PW["ascii"]), error="unsupported")
add("upper-case hex", PW["ascii"], f"{method}${salt}${hexhash.upper()}", error="malformed")
add("63 hex digits", PW["ascii"], f"{method}${salt}${hexhash[:-1]}", error="malformed")
add("no salt field", PW["ascii"], f"{method}${hexhash}", error="malformed")
add("pbkdf2:sha256:0", PW["ascii"], f"pbkdf2:sha256:0${salt}${hexhash}", error="malformed")
add("scrypt:1000:8:1 (n not a power of two)", PW["ascii"], f"scrypt:1000:8:1${salt}${'0' * 128}", error="malformed")
add("pbkdf2:sha256:20000000 over the limit", PW["ascii"], f"pbkdf2:sha256:20000000${salt}${hexhash}", run_oracle=False, error="limit")
add("scrypt:2097152:8:1 over the N limit", PW["ascii"], f"scrypt:2097152:8:1${salt}${'0' * 128}", error="limit")
add("scrypt:16384:8:128 over the work limit", PW["ascii"], f"scrypt:16384:8:128${salt}${'0' * 128}", run_oracle=False, error="limit")

json.dump(vectors, sys.stdout, ensure_ascii=False)
