/**
 * Test support (not shipped behaviour): a real SMTP server on 127.0.0.1 (smtp-server from
 * npm) that records what it receives, a self-signed certificate made with the openssl CLI,
 * and a small MIME decoder so tests can read the text and HTML parts nodemailer encoded.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The login the client used, or null. */
  user: string | null;
  /** The session ran over TLS (implicit or STARTTLS). */
  secure: boolean;
  raw: string;
  headers: Map<string, string>;
  subject: string;
  text: string | null;
  html: string | null;
}

export interface PeerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Implicit TLS from the first byte. */
  secure?: boolean;
  /** Offer STARTTLS (needs a certificate); default false. */
  starttls?: boolean;
  cert?: { key: Buffer; cert: Buffer };
  /** Accepted logins; when set, login is required. */
  users?: Record<string, string>;
  /** Recipients refused with 550. */
  rejectRcpt?: (address: string) => boolean;
}

export class SmtpPeer {
  readonly mails: ReceivedMail[] = [];
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(opts: PeerOptions = {}): Promise<SmtpPeer> {
    let peer: SmtpPeer | null = null;
    const users = opts.users;
    const disabled: string[] = [];
    if (!opts.starttls) disabled.push('STARTTLS');
    if (!users) disabled.push('AUTH');
    const server = new SMTPServer({
      logger: false,
      secure: opts.secure ?? false,
      key: opts.cert?.key,
      cert: opts.cert?.cert,
      disabledCommands: disabled,
      allowInsecureAuth: true,
      authOptional: !users,
      onAuth(auth, _session, cb) {
        if (users && auth.username !== undefined && users[auth.username] === auth.password) {
          cb(null, { user: auth.username });
        } else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo(addr, _session, cb) {
        if (opts.rejectRcpt?.(addr.address)) {
          cb(Object.assign(new Error(`No such user here: ${addr.address}`), { responseCode: 550 }));
        } else cb();
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const mail = parseMail(raw);
          peer?.mails.push({
            ...mail,
            raw,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: typeof session.user === 'string' ? session.user : null,
            secure: Boolean(session.secure),
          });
          for (const w of peer?.waiters.splice(0) ?? []) w();
          cb();
        });
      },
    });
    // A client dropping a TLS handshake is an 'error' event; unhandled, it would crash the test.
    server.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    peer = new SmtpPeer(server, (server.server.address() as AddressInfo).port);
    return peer;
  }

  /** Resolves once `n` mails have arrived; rejects after `timeoutMs`. */
  async waitForMails(n: number, timeoutMs = 10_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.mails.length < n) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`expected ${n} mail(s), got ${this.mails.length} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.mails.slice(0, n);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A throw-away self-signed certificate for 127.0.0.1 and localhost (openssl CLI). */
export async function selfSignedCert(): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'sipprot-cert-'));
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Enough MIME for what nodemailer writes: headers, multipart/alternative, QP and base64. */
export function parseMail(raw: string): Pick<ReceivedMail, 'headers' | 'subject' | 'text' | 'html'> {
  const { headers, body } = splitHead(raw);
  const parts: Array<{ type: string; content: string }> = [];
  collect(headers, body, parts);
  return {
    headers,
    subject: decodeWords(headers.get('subject') ?? ''),
    text: parts.find((p) => p.type === 'text/plain')?.content ?? null,
    html: parts.find((p) => p.type === 'text/html')?.content ?? null,
  };
}

function collect(
  headers: Map<string, string>,
  body: string,
  out: Array<{ type: string; content: string }>,
): void {
  const ctype = headers.get('content-type') ?? 'text/plain';
  const type = ctype.split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(ctype)?.[1];
    if (!boundary) return;
    const pieces = body.split(`--${boundary}`).slice(1);
    for (const piece of pieces) {
      if (piece.startsWith('--')) break;
      // The line break before a delimiter belongs to the delimiter, not to the part.
      const p = splitHead(piece.replace(/^\r?\n/, '').replace(/\r?\n$/, ''));
      collect(p.headers, p.body, out);
    }
    return;
  }
  const enc = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  let content: string;
  if (enc === 'base64') content = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  else if (enc === 'quoted-printable') content = decodeQp(body);
  else content = body;
  out.push({ type, content: content.replace(/\r\n/g, '\n') });
}

function splitHead(raw: string): { headers: Map<string, string>; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  const head = m ? raw.slice(0, m.index) : raw;
  const body = m ? raw.slice(m.index + m[0].length) : '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { headers, body };
}

function decodeQp(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _cs, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQp(data.replace(/_/g, ' ')),
    );
}
