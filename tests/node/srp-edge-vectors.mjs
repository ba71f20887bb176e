// Computes the client side of each SRP exchange in srp/testdata/edge-inputs.json with the
// official client library (its AuthenticationHelper, with the small a forced) and writes
// srp/testdata/edge-vectors.json: A, the derived key and PASSWORD_CLAIM_SIGNATURE. The Go
// package's tests check that the server side derives the same key from A.
//
//   node tests/node/srp-edge-vectors.mjs [--check]   (or CHECK=1)
//
// With --check it compares with the committed file instead of writing it, and exits 1 on a
// difference.
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const AuthenticationHelper = require('amazon-cognito-identity-js/lib/AuthenticationHelper.js').default;
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger.js').default;

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const inputs = JSON.parse(readFileSync(join(root, 'srp/testdata/edge-inputs.json'), 'utf8')).inputs;

const largeA = (helper) => new Promise((resolve, reject) =>
	helper.getLargeAValue((err, v) => (err ? reject(err) : resolve(v))));
const passwordKey = (helper, user, password, B, salt) => new Promise((resolve, reject) =>
	helper.getPasswordAuthenticationKey(user, password, B, salt, (err, v) => (err ? reject(err) : resolve(v))));

const vectors = [];
for (const input of inputs) {
	const poolName = input.pool_id.split('_')[1];
	const helper = new AuthenticationHelper(poolName);
	helper.smallAValue = new BigInteger(input.a, 16);
	helper.largeAValue = undefined;
	const A = await largeA(helper);
	const key = await passwordKey(helper, input.username, input.password,
		new BigInteger(input.B, 16), new BigInteger(input.salt, 16));
	const signature = createHmac('sha256', key)
		.update(Buffer.concat([
			Buffer.from(poolName, 'utf8'), Buffer.from(input.username, 'utf8'),
			Buffer.from(input.secret_block, 'base64'), Buffer.from(input.timestamp, 'utf8'),
		]))
		.digest('base64');
	vectors.push({ case: input.case, A: A.toString(16), key: Buffer.from(key).toString('hex'), signature });
}

const out = JSON.stringify({ generator: 'amazon-cognito-identity-js AuthenticationHelper', vectors }, null, 2) + '\n';
const path = join(root, 'srp/testdata/edge-vectors.json');
if (process.argv.includes('--check') || process.env.CHECK === '1') {
	const committed = readFileSync(path, 'utf8');
	if (committed !== out) {
		console.error('srp edge vectors differ from what the official client computes now');
		process.exit(1);
	}
	console.log(`ok - ${vectors.length} SRP edge vectors agree with the official client`);
} else {
	writeFileSync(path, out);
	console.log(`wrote ${vectors.length} vectors to ${path}`);
}
