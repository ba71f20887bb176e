"""Prints test vectors for Django's PBKDF2 password hashes as a JSON array.

Django's algorithm, from django.contrib.auth.hashers.PBKDF2PasswordHasher and
django.utils.crypto.pbkdf2, written with hashlib alone:

    encode(password, salt, iterations) =
        f"{algorithm}${iterations}${salt}${b64encode(pbkdf2_hmac(digest, password, salt, iterations))}"
    verify(password, encoded) = constant_time_compare(encoded, encode(password, *decode(encoded)))

with password and salt as UTF-8, the key as long as the digest, and algorithm pbkdf2_sha256
(the default hasher) or pbkdf2_sha1. When Django itself is importable, every verdict is also
checked against its hashers, and the vectors record that. Run through generate.sh.
"""

import base64
import hashlib
import hmac
import json
import secrets
import string
import sys

ALGORITHMS = {"pbkdf2_sha256": "sha256", "pbkdf2_sha1": "sha1"}
ALNUM = string.ascii_letters + string.digits


def salt(n=22):
    """Django's BasePasswordHasher.salt(): random letters and digits (22 since Django 3.1, 12 before)."""
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def encode(algorithm, password, salt, iterations):
    if not salt or "$" in salt:
        raise ValueError("salt must be provided and cannot contain $")
    dk = hashlib.pbkdf2_hmac(ALGORITHMS[algorithm], password.encode(), salt.encode(), iterations)
    return "%s$%d$%s$%s" % (algorithm, iterations, salt, base64.b64encode(dk).decode("ascii").strip())


def verify(password, encoded):
    algorithm, iterations, salt, _ = encoded.split("$", 3)
    return hmac.compare_digest(encoded.encode(), encode(algorithm, password, salt, int(iterations)).encode())


def django_verify():
    """Django's own verify, if Django is importable, else None."""
    try:
        import django
        from django.conf import settings

        settings.configure()
        from django.contrib.auth.hashers import PBKDF2PasswordHasher, PBKDF2SHA1PasswordHasher
    except ImportError:
        return None, None
    hashers = {"pbkdf2_sha256": PBKDF2PasswordHasher(), "pbkdf2_sha1": PBKDF2SHA1PasswordHasher()}
    return (lambda pw, enc: hashers[enc.split("$", 1)[0]].verify(pw, enc)), django.get_version()


DJANGO_VERIFY, DJANGO_VERSION = django_verify()
SOURCE = "hashlib (Django's PBKDF2PasswordHasher algorithm)"
if DJANGO_VERSION:
    SOURCE += f", cross-checked with django@{DJANGO_VERSION}"

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


def answer(f, password, encoded):
    try:
        return "true" if f(password, encoded) else "false"
    except Exception as e:  # noqa: BLE001 - recorded, not hidden
        return f"error: {type(e).__name__}: {e}"


vectors = []


def add(case, password, encoded, run_oracle=True, error=""):
    if run_oracle:
        said = answer(verify, password, encoded)
        if DJANGO_VERIFY:
            theirs = answer(DJANGO_VERIFY, password, encoded)
            if said in ("true", "false") and theirs != said:
                raise SystemExit(f"django {case}: hashlib says {said}, Django says {theirs}")
    else:
        said = "not run: over the verifier's limits"
    if not error and said not in ("true", "false"):
        raise SystemExit(f"django {case}: oracle answered {said}")
    vectors.append(
        {
            "format": "django-pbkdf2",
            "case": case,
            "source": SOURCE,
            "password": password,
            "hash": encoded,
            "ok": not error and said == "true",
            "error": error,
            "oracle": said,
        }
    )


def add_set(case, password, encoded, max_wrong=None):
    """The right password and its wrong neighbours; hashes at real-world cost get only
    the first neighbour (max_wrong=1), to keep the Go tests quick."""
    add(case, password, encoded)
    for w in wrong_for(password)[:max_wrong]:
        add(case + ", wrong password", w, encoded)


add_set("pbkdf2_sha256 1000000 (Django 5.2 default)", PW["ascii"], encode("pbkdf2_sha256", PW["ascii"], salt(), 1_000_000), 1)
add_set("pbkdf2_sha256 260000 (Django 3.2 default)", PW["nfc"], encode("pbkdf2_sha256", PW["nfc"], salt(), 260_000), 1)
for name, pw in PW.items():
    add_set(f"pbkdf2_sha256 1000, {name}", pw, encode("pbkdf2_sha256", pw, salt(), 1000))
add_set("pbkdf2_sha256 36000, 12-character salt (Django 1.11)", PW["ascii"], encode("pbkdf2_sha256", PW["ascii"], salt(12), 36000))
add_set("pbkdf2_sha1 1000", PW["ascii"], encode("pbkdf2_sha1", PW["ascii"], salt(), 1000))

good = encode("pbkdf2_sha256", PW["ascii"], salt(), 1000)
algorithm, iterations, s, b64 = good.split("$", 3)
add("iterations with a leading zero", PW["ascii"], f"{algorithm}$0{iterations}${s}${b64}", error="malformed")
add("empty salt", PW["ascii"], f"{algorithm}${iterations}$${b64}", error="malformed")
add("hash without padding", PW["ascii"], f"{algorithm}${iterations}${s}${b64.rstrip('=')}", error="malformed")
add("three fields", PW["ascii"], f"{algorithm}${iterations}${s}", error="malformed")
add("iterations 0", PW["ascii"], f"{algorithm}$0${s}${b64}", error="malformed")
add("iterations 20000000 over the limit", PW["ascii"], f"{algorithm}$20000000${s}${b64}", run_oracle=False, error="limit")

json.dump(vectors, sys.stdout, ensure_ascii=False)
