// A minimal TAP-like reporter, in the format of tests/e2e/*.sh: one `ok - …` or `not ok - …`
// line per assertion (details as `#` lines), and `N passed, M failed` at the end.
import { inspect } from "node:util";

export class Tap {
  constructor() {
    this.passed = 0;
    this.failed = 0;
  }

  ok(what) {
    this.passed++;
    console.log(`ok - ${what}`);
    return true;
  }

  notOk(what, ...details) {
    this.failed++;
    console.log(`not ok - ${what}`);
    for (const d of details) {
      if (d === undefined || d === null || d === "") continue;
      const text = typeof d === "string" ? d : inspect(d, { depth: 4, breakLength: 120 });
      for (const line of text.split("\n").slice(0, 8)) {
        console.log(`#   ${line}`);
      }
    }
    return false;
  }

  // check WHAT COND [DETAILS...]: ok when cond is truthy.
  check(what, cond, ...details) {
    return cond ? this.ok(what) : this.notOk(what, ...details);
  }

  // equal WHAT GOT WANT: ok when got === want.
  equal(what, got, want) {
    return got === want ? this.ok(what) : this.notOk(what, `expected: ${inspect(want)}`, `got: ${inspect(got)}`);
  }

  comment(text) {
    for (const line of String(text).split("\n")) console.log(`# ${line}`);
  }

  summary() {
    console.log(`${this.passed} passed, ${this.failed} failed`);
  }

  // bail WHY: stop here, because every later step needs what just failed.
  bail(why) {
    console.log(`Bail out! ${why}`);
    if (this.failed === 0) this.failed = 1;
    this.finish();
  }

  finish() {
    this.summary();
    process.exit(this.failed > 0 ? 1 : 0);
  }
}

// describeError renders an error from either library for a `#` line.
export function describeError(err) {
  if (!err) return String(err);
  const parts = [];
  if (err.code) parts.push(`code=${err.code}`);
  if (err.name) parts.push(`name=${err.name}`);
  if (err.statusCode) parts.push(`status=${err.statusCode}`);
  parts.push(`message=${JSON.stringify(err.message ?? String(err))}`);
  return parts.join(" ");
}
