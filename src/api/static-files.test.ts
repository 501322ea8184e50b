import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { serveStaticFiles, staticPath } from './static-files.js';

describe('staticPath', () => {
  test('maps plain names and refuses every other spelling', () => {
    assert.equal(staticPath('/'), 'index.html');
    assert.equal(staticPath('/assets/index-abc.js'), 'assets/index-abc.js');
    assert.equal(staticPath('/a%20b.txt'), 'a b.txt');
    for (const bad of [
      '/..',
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/.secret',
      '/assets/.hidden.js',
      '/assets//x.js',
      '/assets/',
      '/x%00.js',
      '/a%5c..%5cb',
      '/%E0%A4%A',
      'index.html',
    ]) {
      assert.equal(staticPath(bad), null, bad);
    }
  });
});

describe('serveStaticFiles', () => {
  let root: string;
  let outside: string;
  let app: FastifyInstance;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'sipprot-static-'));
    outside = mkdtempSync(join(tmpdir(), 'sipprot-outside-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(root, 'assets/app-1.js'), 'console.log(1)');
    writeFileSync(join(root, 'assets/app-1.css'), 'body{}');
    writeFileSync(join(root, 'favicon.svg'), '<svg/>');
    writeFileSync(join(root, '.env'), 'SECRET=1');
    writeFileSync(join(outside, 'secret.txt'), 'outside');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    app = Fastify();
    await serveStaticFiles(app, root, {
      headers: (rel) => ({ 'cache-control': rel.startsWith('assets/') ? 'immutable' : 'no-cache' }),
    });
  });
  after(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  test('serves index.html at / and files by name with their type, length and headers', async () => {
    const page = await app.inject({ method: 'GET', url: '/?x=1' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.body, '<!doctype html><title>ui</title>');
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cache-control'], 'no-cache');
    const js = await app.inject({ method: 'GET', url: '/assets/app-1.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.body, 'console.log(1)');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['content-length'], '14');
    assert.equal(js.headers['cache-control'], 'immutable');
    assert.equal(
      (await app.inject({ url: '/assets/app-1.css' })).headers['content-type'],
      'text/css; charset=utf-8',
    );
    assert.equal((await app.inject({ url: '/favicon.svg' })).headers['content-type'], 'image/svg+xml');
  });

  test('HEAD answers the headers without a body', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/assets/app-1.js' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], '14');
    assert.equal(head.body, '');
  });

  test('dot files, directories, missing files, traversal and symlinks out of the root are 404', async () => {
    for (const url of [
      '/.env',
      '/assets',
      '/assets/',
      '/missing.js',
      '/../' + 'package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f.env',
      '/leak.txt',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /SECRET|outside|root:/, url);
    }
    // A malformed escape never reaches the handler: fastify's router answers 400 itself.
    assert.equal((await app.inject({ method: 'GET', url: '/%ZZ' })).statusCode, 400);
  });
});
