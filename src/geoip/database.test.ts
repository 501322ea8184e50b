import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isSipprotError } from '../core/errors.js';
import { GeoTable } from '../core/geoip/table.js';
import { GeoDatabase, updateGeoDatabase } from './database.js';
import { SHIPPED_TABLE, writeTableFile } from './files.js';

/** 10 IPv4 rows (alternating DE/FR) and 2 IPv6 rows: the "new" upstream data. */
const V4 = Array.from({ length: 10 }, (_, i) => `5.0.${i}.0,5.0.${i}.255,${i % 2 ? 'FR' : 'DE'}`).join('\n');
const V6 = '2001:db9::,2001:db9:ffff:ffff:ffff:ffff:ffff:ffff,NL\n2a01:db8::,2a01:db8::ffff,JP\n';

const isGeoErr = (re: RegExp) => (e: unknown) =>
  isSipprotError(e) && e.code === 'SP_ERR_GEOIP' && re.test(e.message);

let server: Server;
let base: string;
let dir: string;
let shipped: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sipprot-geoip-'));
  shipped = join(dir, 'shipped.bin.gz');
  // The "shipped" table: 8 IPv4 ranges (1.0.0.0/24 .. 1.0.7.0/24, US) and 2 IPv6 ranges.
  const v4 = Array.from({ length: 8 }, (_, i) => ({
    start: BigInt(0x01000000 + i * 512),
    end: BigInt(0x01000000 + i * 512 + 255),
    country: 'US',
  }));
  const v6 = [
    { start: 0x2a000000n << 96n, end: (0x2a000001n << 96n) - 1n, country: 'GB' },
    { start: 0x2a000002n << 96n, end: (0x2a000003n << 96n) - 1n, country: 'GB' },
  ];
  const t = GeoTable.fromRanges(v4, v6);
  await writeTableFile(shipped, t, {
    source: 'test-shipped',
    date: '2020-01-01',
    v4Ranges: t.v4Ranges,
    v6Ranges: t.v6Ranges,
  });

  server = createServer((req, res) => {
    const send = (body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(200, {
        'content-type': 'text/csv',
        'last-modified': 'Tue, 02 Jun 2026 10:00:00 GMT',
        ...headers,
      });
      res.end(body);
    };
    switch (req.url) {
      case '/v4.csv':
        return send(V4);
      case '/v6.csv':
        return send(V6);
      case '/both.csv.gz':
        return send(gzipSync(`${V4}\n${V6}`), { 'content-type': 'application/gzip' });
      case '/corrupt.csv':
        return send(`${V4}\n5.0.99.0,5.0.99.255,DE,junk\n\x00\x01garbage,,\n`);
      case '/truncated.csv': {
        // Declares the whole file, sends half, then the connection drops.
        const body = Buffer.from(V4);
        res.writeHead(200, { 'content-length': String(body.length) });
        res.write(body.subarray(0, body.length >> 1));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      case '/short.csv':
        return send(V4.split('\n').slice(0, 3).join('\n'));
      case '/midline.csv':
        return send(V4.slice(0, V4.length - 12));
      case '/truncated.csv.gz': {
        const gz = gzipSync(`${V4}\n${V6}`);
        return send(gz.subarray(0, gz.length - 30));
      }
      case '/empty.csv':
        return send('');
      case '/slow.csv':
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.write('5.0.0.0,5.0.0.255,DE\n');
        return; // never finishes
      case '/big.csv':
        return send('x'.repeat(4096));
      case '/big-declared.csv':
        return send('x'.repeat(4096), { 'content-length': '4096' });
      case '/table.bin.gz':
        // What another host of a cluster would serve: a sipprot table file.
        readFile(shipped).then((b) => send(b, { 'content-type': 'application/octet-stream' }));
        return;
      case '/unknown.csv':
        return send(V4.replaceAll('FR', 'QQ'));
      default:
        res.writeHead(404);
        res.end('not found');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function freshState(): Promise<string> {
  const s = join(dir, `state-${++n}`);
  await mkdir(s, { recursive: true });
  return s;
}

async function loaded() {
  const stateDir = await freshState();
  const db = await GeoDatabase.load(stateDir, { shippedPath: shipped, now: () => 1000 });
  return { stateDir, db };
}

/** A refused update leaves the table, its metadata and the disk as they were. */
async function assertUnchanged(
  db: GeoDatabase,
  stateDir: string,
  before: { meta: unknown; table: GeoTable },
) {
  assert.equal(db.table, before.table);
  assert.deepEqual(db.meta, before.meta);
  assert.equal(db.country('1.0.0.1'), 'US');
  await assert.rejects(readFile(GeoDatabase.currentPath(stateDir)), { code: 'ENOENT' });
}

describe('GeoDatabase.load', () => {
  it('loads the real shipped table (IPFire Location data)', async () => {
    const db = await GeoDatabase.load(null);
    assert.equal(db.meta.origin, 'shipped');
    assert.equal(db.meta.file, SHIPPED_TABLE);
    assert.match(db.meta.source, /^IPFire Location Database \(.*\) via Debian tor-geoipdb /);
    assert.match(db.meta.date, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(db.meta.v4Ranges > 300_000 && db.meta.v6Ranges > 200_000);
    // Well-known allocations, unlikely to move between data versions.
    assert.equal(db.country('8.8.8.8'), 'US');
    assert.equal(db.country('1.0.0.1'), 'AU');
    assert.equal(db.country('193.0.0.1'), 'NL'); // RIPE NCC
    assert.equal(db.country('2001:4860:4860::8888'), 'US'); // Google DNS
    // The old source (ip-location-db geo-whois-asn-country) said AU for APNIC's IPv6 blocks.
    assert.equal(db.country('2001:200::1'), 'JP'); // WIDE project
    assert.equal(db.country('2001:da8::1'), 'CN'); // CERNET2
    assert.equal(db.country('2001:ee0::1'), 'VN'); // VNPT
    assert.equal(db.country('10.0.0.1'), null);
    assert.equal(db.country('127.0.0.1'), null);
  });

  it('uses the shipped table when STATE_DIR has none', async () => {
    const { db } = await loaded();
    assert.equal(db.meta.origin, 'shipped');
    assert.equal(db.meta.source, 'test-shipped');
    assert.equal(db.meta.loadedAt, 1000);
    assert.equal(db.meta.updatedAt, null);
    assert.deepEqual(db.warnings, []);
  });

  it('falls back to the shipped table, with a warning, when the current one is damaged', async () => {
    const stateDir = await freshState();
    await mkdir(join(stateDir, 'geoip'));
    const good = await readFile(shipped);
    await writeFile(GeoDatabase.currentPath(stateDir), good.subarray(0, good.length - 100));
    const db = await GeoDatabase.load(stateDir, { shippedPath: shipped });
    assert.equal(db.meta.origin, 'shipped');
    assert.match(db.warnings[0] ?? '', /current\.bin\.gz.*not valid gzip.*using the shipped table/);
  });

  it('throws SP_ERR_GEOIP when there is no usable table at all', async () => {
    await assert.rejects(
      GeoDatabase.load(null, { shippedPath: join(dir, 'nope.bin.gz') }),
      isGeoErr(/cannot read geo-IP table .*nope/),
    );
  });
});

describe('GeoDatabase.update', () => {
  it('downloads, checks, writes, swaps and tells listeners; a restart loads the new table', async () => {
    const { stateDir, db } = await loaded();
    const seen: string[] = [];
    db.onChange((d, prev) => {
      seen.push(`${prev.source} -> ${d.meta.source}: ${d.country('5.0.1.1')}`);
    });
    const res = await db.update({ from: [`${base}/v4.csv`, `${base}/v6.csv`], now: () => 2000 });
    assert.deepEqual(res.warnings, []);
    assert.equal(res.previous.source, 'test-shipped');
    assert.deepEqual(
      { ...res.meta },
      {
        source: `${base}/v4.csv ${base}/v6.csv`,
        date: '2026-06-02',
        v4Ranges: 10,
        v6Ranges: 2,
        origin: 'state',
        file: GeoDatabase.currentPath(stateDir),
        loadedAt: 2000,
        updatedAt: 2000,
      },
    );
    assert.equal(db.country('5.0.1.1'), 'FR');
    assert.equal(db.country('1.0.0.1'), null);
    assert.equal(db.country('2001:db9::1'), 'NL');
    assert.deepEqual(seen, [`test-shipped -> ${base}/v4.csv ${base}/v6.csv: FR`]);

    const again = await GeoDatabase.load(stateDir, { shippedPath: shipped, now: () => 3000 });
    assert.equal(again.meta.origin, 'state');
    assert.equal(again.meta.updatedAt, 2000);
    assert.equal(again.meta.loadedAt, 3000);
    assert.equal(again.country('5.0.2.1'), 'DE');
  });

  it('accepts one gzip file with both families, and local files plain or gzip', async () => {
    const { db } = await loaded();
    await db.update({ from: `${base}/both.csv.gz` });
    assert.equal(db.meta.v4Ranges, 10);
    assert.equal(db.country('2a01:db8::1'), 'JP');

    const { db: db2 } = await loaded();
    const plain = join(dir, 'upd.csv');
    const gz = join(dir, 'upd.csv.gz');
    await writeFile(plain, V4);
    await writeFile(gz, gzipSync(V6));
    const res = await db2.update({ from: `${plain},${gz}` });
    assert.equal(db2.country('5.0.0.1'), 'DE');
    assert.equal(db2.country('2a01:db8::1'), 'JP');
    assert.deepEqual(res.warnings, []);
  });

  it('accepts a sipprot table file (as another host of a cluster serves it)', async () => {
    const { db } = await loaded();
    await db.update({ from: `${base}/both.csv.gz` });
    assert.equal(db.country('1.0.0.1'), null);
    await db.update({ from: `${base}/table.bin.gz`, minRatio: 0 });
    assert.equal(db.country('1.0.0.1'), 'US');
    assert.equal(db.country('2a00::1'), 'GB');
    assert.equal(db.meta.v4Ranges, 8);
  });

  it('updateGeoDatabase loads STATE_DIR and updates it in one call', async () => {
    const stateDir = await freshState();
    const res = await updateGeoDatabase({ stateDir, shippedPath: shipped, from: `${base}/both.csv.gz` });
    assert.equal(res.previous.origin, 'shipped');
    assert.equal(res.meta.v4Ranges, 10);
    const again = await GeoDatabase.load(stateDir, { shippedPath: shipped });
    assert.equal(again.country('5.0.3.1'), 'FR');
  });

  it('uses an injected fetch', async () => {
    const { db } = await loaded();
    const asked: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      asked.push(String(url));
      return new Response(V4, { status: 200 });
    }) as typeof fetch;
    await db.update({ from: 'https://geo.invalid/v4.csv', fetch: fakeFetch });
    assert.deepEqual(asked, ['https://geo.invalid/v4.csv']);
    assert.equal(db.country('5.0.0.1'), 'DE');
  });

  it('keeps the current IPv6 ranges when the update has only IPv4', async () => {
    const { db } = await loaded();
    const res = await db.update({ from: `${base}/v4.csv` });
    assert.equal(db.country('5.0.0.1'), 'DE');
    assert.equal(db.country('2a00::1'), 'GB');
    assert.match(res.warnings.join('\n'), /no IPv6 rows in the update: kept the current IPv6 ranges/);
  });

  const refusals: Array<[string, string, RegExp]> = [
    [
      'corrupt',
      '/corrupt.csv',
      /refused, keeping the current table: .*corrupt\.csv: 2 malformed rows \(line 11: expected 3 fields/,
    ],
    [
      'truncated (connection dropped)',
      '/truncated.csv',
      /truncated\.csv: download broke off after \d+ bytes|got \d+ of \d+ bytes/,
    ],
    [
      'truncated at a line break (count collapses)',
      '/short.csv',
      /IPv4 would shrink from 8 to 3 ranges \(below 50%\)/,
    ],
    [
      'truncated mid-line',
      '/midline.csv',
      /midline\.csv: 1 malformed row \(line 10: expected 3 fields "start,end,country", got 2\)/,
    ],
    ['truncated gzip', '/truncated.csv.gz', /truncated\.csv\.gz is not valid gzip/],
    ['empty', '/empty.csv', /empty\.csv: no ranges in the file/],
    ['missing (404)', '/missing.csv', /missing\.csv: download failed: HTTP 404/],
    ['unknown country codes', '/unknown.csv', /unknown\.csv: 5 of 10 rows have unknown country codes/],
  ];
  for (const [name, path, why] of refusals) {
    it(`refuses a ${name} download and keeps the old table`, async () => {
      const { stateDir, db } = await loaded();
      const before = { meta: db.meta, table: db.table };
      let told = 0;
      db.onChange(() => {
        told++;
      });
      await assert.rejects(db.update({ from: `${base}${path}`, timeoutMs: 5000 }), isGeoErr(why));
      await assertUnchanged(db, stateDir, before);
      assert.equal(told, 0);
    });
  }

  it('gives up on a slow server after the timeout', async () => {
    const { stateDir, db } = await loaded();
    const before = { meta: db.meta, table: db.table };
    const t0 = Date.now();
    await assert.rejects(
      db.update({ from: `${base}/slow.csv`, timeoutMs: 300 }),
      isGeoErr(/slow\.csv: download not finished within 0\.3 s/),
    );
    assert.ok(Date.now() - t0 < 3000);
    await assertUnchanged(db, stateDir, before);
  });

  it('refuses a download over the size cap, a missing file and an unsupported scheme', async () => {
    const { stateDir, db } = await loaded();
    const before = { meta: db.meta, table: db.table };
    await assert.rejects(
      db.update({ from: `${base}/big.csv`, maxBytes: 1000 }),
      isGeoErr(/big\.csv: more than the 1000-byte limit/),
    );
    await assert.rejects(
      db.update({ from: `${base}/big-declared.csv`, maxBytes: 1000 }),
      isGeoErr(/big-declared\.csv: 4096 bytes is more than the 1000-byte limit/),
    );
    await assert.rejects(db.update({ from: join(dir, 'absent.csv') }), isGeoErr(/absent\.csv: cannot read/));
    await assert.rejects(db.update({ from: 'ftp://127.0.0.1/x.csv' }), isGeoErr(/only http/));
    await assert.rejects(db.update({ from: ' ' }), isGeoErr(/no geo-IP update source/));
    await assertUnchanged(db, stateDir, before);
  });

  it('a failed update after a good one keeps the good one, on disk too', async () => {
    const { stateDir, db } = await loaded();
    await db.update({ from: `${base}/both.csv.gz` });
    const onDisk = await readFile(GeoDatabase.currentPath(stateDir));
    const meta = db.meta;
    await assert.rejects(db.update({ from: `${base}/corrupt.csv` }), isGeoErr(/malformed/));
    assert.deepEqual(db.meta, meta);
    assert.deepEqual(await readFile(GeoDatabase.currentPath(stateDir)), onDisk);
  });

  it('runs concurrent updates one after the other', async () => {
    const { db } = await loaded();
    const order: string[] = [];
    db.onChange((d) => {
      order.push(d.meta.source);
    });
    const a = db.update({ from: `${base}/v4.csv` });
    const b = db.update({ from: `${base}/empty.csv` });
    const c = db.update({ from: `${base}/both.csv.gz` });
    await a;
    await assert.rejects(b, isGeoErr(/no ranges/));
    await c;
    assert.deepEqual(order, [`${base}/v4.csv`, `${base}/both.csv.gz`]);
  });

  it('reports a failing listener without undoing the update', async () => {
    const { db } = await loaded();
    db.onChange(() => {
      throw new Error('nft said no');
    });
    const res = await db.update({ from: `${base}/both.csv.gz` });
    assert.equal(db.meta.origin, 'state');
    assert.match(res.warnings.join('\n'), /the new table is in place, but applying it failed: nft said no/);
  });

  it('prefers a newer shipped table over an older current one', async () => {
    const { stateDir, db } = await loaded();
    await db.update({ from: `${base}/both.csv.gz` }); // dated 2026-06-02 by Last-Modified
    const newer = join(dir, 'newer.bin.gz');
    const t = GeoTable.fromRanges([{ start: 0n, end: 255n, country: 'SE' }], []);
    await writeTableFile(newer, t, { source: 'newer-shipped', date: '2030-01-01', v4Ranges: 1, v6Ranges: 0 });
    const again = await GeoDatabase.load(stateDir, { shippedPath: newer });
    assert.equal(again.meta.source, 'newer-shipped');
    assert.match(again.warnings[0] ?? '', /\(2026-06-02\) is older than the shipped table \(2030-01-01\)/);
  });

  it('refuses to update without STATE_DIR', async () => {
    const db = await GeoDatabase.load(null, { shippedPath: shipped });
    await assert.rejects(db.update({ from: `${base}/v4.csv` }), isGeoErr(/needs STATE_DIR/));
  });
});

describe('GeoDatabase.load: special-purpose ranges (issue 10 item 6)', () => {
  it('a table written before the cut (shipped or in STATE_DIR) is cleaned as it loads, with a warning', async () => {
    const d = await mkdtemp(join(tmpdir(), 'sipprot-geoip-dirty-'));
    try {
      const dirty = GeoTable.fromRanges(
        [
          { start: 0x01000000n, end: 0x010000ffn, country: 'AU' },
          { start: 0xc0a80000n, end: 0xc0a8ffffn, country: 'AU' },
        ],
        [{ start: 0x20010db8n << 96n, end: (0x20010db9n << 96n) - 1n, country: 'JP' }],
      );
      const path = join(d, 'old.bin.gz');
      await writeTableFile(path, dirty, { source: 'old', date: '2020-01-01', v4Ranges: 2, v6Ranges: 1 });
      const db = await GeoDatabase.load(null, { shippedPath: path });
      assert.equal(db.country('192.168.1.1'), null);
      assert.equal(db.country('2001:db8::1'), null);
      assert.equal(db.country('1.0.0.1'), 'AU');
      assert.match(
        db.warnings.join('\n'),
        /special-purpose ranges carried countries \(cut as loaded\): 192\.168\.0\.0\/16 \(private use\) said AU; 2001:db8::\/32 \(documentation\) said JP/,
      );
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
