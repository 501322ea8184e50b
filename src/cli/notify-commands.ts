/**
 * `sipprot report`, `sipprot notify test` and `sipprot recipients ...`. They read the
 * config and the store directly (the store is safe to share with a running daemon), so
 * they work whether or not the daemon runs. Thin: parse, call notify/store, print.
 */
import { hostname as osHostname } from 'node:os';
import type { Command } from 'commander';
import { SipprotError } from '../core/errors.js';
import type { Config } from '../core/types.js';
import { type Calendar, isDate, localCalendar } from '../notify/calendar.js';
import { reportForDay } from '../notify/daily.js';
import { NO_SMTP_MESSAGE } from '../notify/mail-status.js';
import type { MailTransport, SmtpOptions, SmtpStep } from '../notify/smtp.js';
import type { Store } from '../ports/store.js';
import { isValidEmail } from '../store/validate.js';
import { type CliContext, usage } from './context.js';
import { EXIT } from './exit-codes.js';
import { json } from './output.js';
import { renderTable } from './table.js';

interface NotifyCliDeps {
  /** The config for `--config PATH` (undefined: the default search). */
  loadConfig(path: string | undefined): Config | Promise<Config>;
  /** The state store of that config (e.g. SqliteStore.open(config.stateDir)); closed after use. */
  openStore(config: Config): Store | Promise<Store>;
  /** Epoch seconds; default the system clock. */
  clock?: () => number;
  calendar?: Calendar;
  hostname?: string;
  /** SMTP transport options (timeouts, a private CA) for `notify test`. */
  smtpOptions?: SmtpOptions;
  /** Replaces the SMTP transport (tests). */
  transport?: (config: Config) => MailTransport;
}

/** For CliDeps.extensions: `extensions: [notifyCommands({ loadConfig, openStore })]`. */
export function notifyCommands(deps: NotifyCliDeps): (program: Command, ctx: CliContext) => void {
  return (program, ctx) => registerNotifyCommands(program, ctx, deps);
}

const STEP_NAMES: Record<SmtpStep, string> = {
  connect: 'connect',
  tls: 'TLS',
  auth: 'login',
  sender: 'sender accepted',
  recipient: 'recipients accepted',
  message: 'message accepted',
};

/** What the commands here share: output, clock and calendar, the config and store of --config. */
interface Env {
  ctx: CliContext;
  deps: NotifyCliDeps;
  clock(): number;
  calendar: Calendar;
  config(cmd: Command): Promise<Config>;
  /** Opens the store of the command's config for `fn`, and closes it after. */
  withStore<T>(cmd: Command, fn: (store: Store, cfg: Config) => Promise<T>): Promise<T>;
}

export function registerNotifyCommands(program: Command, ctx: CliContext, deps: NotifyCliDeps): void {
  const config = async (cmd: Command) => deps.loadConfig(cmd.optsWithGlobals().config);
  const env: Env = {
    ctx,
    deps,
    clock: deps.clock ?? (() => Date.now() / 1000),
    calendar: deps.calendar ?? localCalendar,
    config,
    async withStore(cmd, fn) {
      const cfg = await config(cmd);
      const store = await deps.openStore(cfg);
      try {
        return await fn(store, cfg);
      } finally {
        await store.close();
      }
    },
  };
  reportCommand(program, env);
  notifyTestCommand(program.command('notify').description('mail notifications'), env);
  const recipients = program.command('recipients').description('who receives the notification mails');
  for (const add of [recipientsList, recipientsAdd, recipientsRemove]) add(recipients, env);
}

function reportCommand(program: Command, env: Env): void {
  program
    .command('report')
    .description("attack report of a day, as the daily mail carries it (default: today's so far)")
    .option('--date <YYYY-MM-DD>', 'the local day to report on')
    .option('--json', 'machine-readable output (the report model)')
    .option('--html', 'print the HTML rendering')
    .action(async (o, cmd: Command) => {
      const now = env.clock();
      const date: string = o.date ?? env.calendar.dateOf(now);
      if (!isDate(date))
        throw usage(`--date must be a calendar date YYYY-MM-DD, got ${JSON.stringify(o.date)}`);
      const r = await env.withStore(cmd, (store, cfg) =>
        reportForDay(store, env.calendar, date, {
          host: env.deps.hostname ?? osHostname(),
          now,
          observe: cfg.detection.observe,
        }),
      );
      if (o.json) json(env.ctx.io, r.report);
      else env.ctx.io.out(o.html ? r.html : r.text);
    });
}

function notifyTestCommand(notify: Command, env: Env): void {
  const { io } = env.ctx;
  notify
    .command('test')
    .description('send a test mail and report which step fails: connect, TLS, login, recipient')
    .option('--to <address>', 'send to this address instead of the notification recipients')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) => {
      const cfg = await env.config(cmd);
      if (!cfg.smtp.host) {
        throw new SipprotError('SP_ERR_SMTP', `${NO_SMTP_MESSAGE}: set SMTP_HOST (and SMTP_*) in the config`);
      }
      const to = await testRecipients(o.to, cfg, env);
      const transport = env.deps.transport?.(cfg);
      const server = `${cfg.smtp.host}:${cfg.smtp.port}`;
      // Loaded here: nodemailer costs every other `sipprot` command ~110 ms of CPU.
      const { testSmtp } = await import('../notify/smtp.js');
      try {
        const r = await testSmtp(cfg.smtp, to, { ...env.deps.smtpOptions, transport });
        if (o.json) return json(io, { ok: true, server, passed: r.passed, to: r.accepted });
        for (const s of r.passed) io.out(`${STEP_NAMES[s]}: ok\n`);
        io.out(`test mail sent through ${server} to ${r.accepted.join(', ')}\n`);
      } catch (e) {
        const step =
          e instanceof SipprotError ? (e.details as { step?: SmtpStep } | undefined)?.step : undefined;
        if (!step) throw e;
        const message = e instanceof Error ? e.message : String(e);
        if (o.json) json(io, { ok: false, server, step, error: message });
        else {
          for (const s of stepsBefore(step, cfg)) io.out(`${STEP_NAMES[s]}: ok\n`);
          io.out(`${STEP_NAMES[step]}: FAILED\n`);
          io.err(`error: ${message}\n`);
        }
        env.ctx.setExit(EXIT.failure);
      } finally {
        transport?.close();
      }
    });
}

/** --to, or the notification recipients of the store. */
async function testRecipients(toOption: unknown, cfg: Config, env: Env): Promise<string[]> {
  if (toOption !== undefined) {
    const t = String(toOption).trim();
    if (!isValidEmail(t)) throw usage(`--to must be an e-mail address, got ${JSON.stringify(toOption)}`);
    return [t];
  }
  const store = await env.deps.openStore(cfg);
  let to: string[];
  try {
    to = (await store.listRecipients()).map((r) => r.email);
  } finally {
    await store.close();
  }
  if (to.length === 0) {
    throw usage('no notification recipients: add one (sipprot recipients add EMAIL) or use --to ADDRESS');
  }
  return to;
}

function recipientsList(recipients: Command, env: Env): void {
  recipients
    .command('list')
    .description('print the notification recipients')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) => {
      const { io } = env.ctx;
      const list = await env.withStore(cmd, (store) => store.listRecipients());
      if (o.json) return json(io, list);
      if (list.length === 0) {
        io.out('no notification recipients (add one: sipprot recipients add EMAIL [NAME])\n');
        return;
      }
      io.out(
        renderTable(
          ['EMAIL', 'NAME'],
          list.map((r) => [r.email, r.name ?? '']),
        ),
      );
    });
}

function recipientsAdd(recipients: Command, env: Env): void {
  recipients
    .command('add')
    .description('add a recipient, or change the name of one')
    .argument('<email>', 'e-mail address')
    .argument('[name...]', 'display name')
    .action(async (email: string, name: string[], _o, cmd: Command) => {
      const r = await env.withStore(cmd, async (store) => {
        const existed = (await store.listRecipients()).some(
          (x) => x.email.toLowerCase() === email.trim().toLowerCase(),
        );
        return { existed, rec: await store.addRecipient(email, name.length > 0 ? name.join(' ') : null) };
      });
      env.ctx.io.out(
        r.existed ? `${r.rec.email} was already a recipient; name updated\n` : `added ${r.rec.email}\n`,
      );
    });
}

function recipientsRemove(recipients: Command, env: Env): void {
  recipients
    .command('remove')
    .description('remove a recipient')
    .argument('<email>', 'e-mail address, as listed')
    .action(async (email: string, _o, cmd: Command) => {
      const removed = await env.withStore(cmd, (store) => store.removeRecipient(email));
      if (removed) env.ctx.io.out(`removed ${email.trim()}\n`);
      else {
        env.ctx.io.err(`not a recipient: ${email.trim()} (see: sipprot recipients list)\n`);
        env.ctx.setExit(EXIT.failure);
      }
    });
}

/** The steps that must have passed before `step` failed, for this config. */
function stepsBefore(step: SmtpStep, cfg: Config): SmtpStep[] {
  const order: SmtpStep[] = ['connect', 'tls', 'auth', 'sender', 'recipient', 'message'];
  const applies = (s: SmtpStep) =>
    (s !== 'tls' || cfg.smtp.tls !== 'none') && (s !== 'auth' || cfg.smtp.user);
  return order.slice(0, order.indexOf(step)).filter(applies);
}
