import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HclSyntaxError, bodyToPlain, findBlocks, parseConfigText } from '../../src/config/hcl.js';
import { ConfigError, parseServerConfig } from '../../src/config/server-config.js';

const VALID_HCL = `# fuzz seed
ui = true
api_addr = "https://127.0.0.1:8200"
default_lease_ttl = "1h"
storage "sqlite" {
  path = "/tmp/arca.db"
  cache = 10
}
listener "tcp" {
  address = "127.0.0.1:0"
  tls_disable = "1"
  max_request_size = -0x1
}
/* a block comment */
telemetry { disable_hostname = true }
replication {
  wal_retention_entries = 10
}
`;

const VALID_POLICY = `
path "secret/data/*" { capabilities = ["create", "read"] }
path "sys/*" {
  capabilities = ["deny"]
}
embedded = <<-EOT
  path "secret/*" {
    capabilities = ["read", "list",]
    allowed_parameters = { "k" = [] , v: ["\\u00e9 \${x}"] }
  }
  EOT
`;

const VALID_JSON = `{
  "ui": true,
  "storage": {"sqlite": {"path": "/tmp/arca.db"}},
  "listener": [{"tcp": {"address": "127.0.0.1:0", "tls_disable": 1}}],
  "telemetry": {"disable_hostname": true},
  "replication": {"wal_retention_bytes": 4096, "allow_forwarding_via_header": "true"}
}`;

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = '{}[]=:,"\'#/*<-\\$%\n\t 0123456789.xeEabctrufl_\u0000\u00e9\uD83D';

function mutate(text: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  let out = text;
  const count = 1 + pick(4);
  for (let i = 0; i < count; i++) {
    const pos = pick(out.length + 1);
    switch (pick(6)) {
      case 0: // delete a short range
        out = out.slice(0, pos) + out.slice(pos + 1 + pick(8));
        break;
      case 1: // insert a character that matters to the grammar
        out = out.slice(0, pos) + ALPHABET[pick(ALPHABET.length)] + out.slice(pos);
        break;
      case 2: {
        // duplicate a slice somewhere else
        const start = pick(out.length);
        const slice = out.slice(start, start + 1 + pick(30));
        out = out.slice(0, pos) + slice + out.slice(pos);
        break;
      }
      case 3: // truncate
        out = out.slice(0, pos);
        break;
      case 4: {
        // swap two characters
        const other = pick(out.length);
        const chars = [...out];
        const a = chars[pos];
        const b = chars[other];
        if (a !== undefined && b !== undefined) {
          chars[pos] = b;
          chars[other] = a;
        }
        out = chars.join('');
        break;
      }
      default: // replace a character with a random one
        out = out.slice(0, pos) + ALPHABET[pick(ALPHABET.length)] + out.slice(pos + 1);
    }
  }
  return out;
}

test('2,000 random mutations only ever raise HclSyntaxError or ConfigError, quickly', { timeout: 30_000 }, () => {
  const random = rng(20260101);
  const started = Date.now();
  let rejected = 0;
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    const seed = i % 4;
    const json = seed === 3;
    const text = mutate(seed === 3 ? VALID_JSON : seed === 2 ? VALID_POLICY : VALID_HCL, random);
    const file = json ? 'fuzz.json' : 'fuzz.hcl';
    try {
      const body = parseConfigText(text, file);
      // Whatever parses must also survive the readers.
      bodyToPlain(body);
      for (const key of ['storage', 'listener', 'path']) findBlocks(body, key, 1);
    } catch (err) {
      assert.ok(err instanceof HclSyntaxError, `iteration ${i}: parser threw ${String(err)} for ${JSON.stringify(text)}`);
      assert.ok(err.line >= 1 && err.column >= 1, `iteration ${i}: bad position`);
    }
    if (seed === 2) continue;
    try {
      parseServerConfig(text, file);
      accepted++;
    } catch (err) {
      rejected++;
      assert.ok(err instanceof ConfigError, `iteration ${i}: config threw ${String(err)} for ${JSON.stringify(text)}`);
      assert.ok(err.message.startsWith(`error loading ${file}: `));
    }
    assert.ok(Date.now() - started < 20_000, 'fuzzing is taking too long');
  }
  // The mutations must actually exercise the error paths, not only benign edits.
  assert.ok(rejected > 300 && accepted > 20, `rejected ${rejected}, accepted ${accepted}`);
});

test('the fuzz seeds themselves are valid', () => {
  assert.equal(parseServerConfig(VALID_HCL, 'seed.hcl').listeners.length, 1);
  assert.equal(parseServerConfig(VALID_JSON, 'seed.json').replication.walRetentionBytes, 4096);
  const body = parseConfigText(VALID_POLICY, 'seed.hcl');
  assert.equal(findBlocks(body, 'path', 1).length, 2);
});
