/**
 * The records sipprot keeps beyond a block: attack events, the summaries reports are built
 * from, mail recipients and queued mail, session payloads. Shared by the core (reports),
 * the Store port and its adapters, the API and the UI: defined once, here.
 */
import type { Decision, DecisionReason, Rule, Verdict } from './types.js';

/** An attack event as kept for reports: the verdict plus the country it came from. */
export type AttackRecord = Verdict & {
  country: string | null;
  /** Cluster mode: the host that saw the attack; absent on a single host. */
  host?: string;
};

export interface TimeRange {
  /** Inclusive, epoch seconds. */
  from: number;
  /** Exclusive, epoch seconds. */
  to: number;
}

/** One attacking address over a range, as the store summarises its attack events. */
export interface TopIp {
  ip: string;
  /** Country of the newest event that had one. */
  country: string | null;
  /** User agent of the newest event that had one. */
  userAgent: string | null;
  /** Users targeted, newest first, de-duplicated, at most 20. */
  users: string[];
  /** Sum of the events' attempts. */
  attempts: number;
  /** Number of attack events. */
  events: number;
  /** Rules that fired for this address, in the order of `Rule`. */
  rules: Rule[];
  firstAt: number;
  lastAt: number;
}

/** The numbers the daily report, `sipprot report` and the dashboard are built from. */
export interface AttackSummary extends TimeRange {
  /** Attack events in the range. */
  attacks: number;
  /** Sum of the events' attempts. */
  attempts: number;
  attacksByRule: Record<Rule, number>;
  distinctIps: number;
  /** Addresses ordered by attempts, then events (descending), then address. */
  topIps: TopIp[];
  distinctUsers: number;
  /** Users targeted, by number of events naming them (descending), then name. */
  topUsers: Array<{ user: string; events: number }>;
  /** Countries by events; events with no known country are not counted here. */
  topCountries: Array<{ country: string; events: number }>;
  /** User agents by events; null counts the events that sent none (13 of 16 attackers in a trial). */
  topUserAgents: Array<{ userAgent: string | null; events: number }>;
  /** Addresses with an event flagged misconfiguredPhone (the manual's deleted-extension case). */
  misconfiguredPhones: TopIp[];
  /** Decisions with action block or permanent in the range, by reason. */
  blocksByReason: Partial<Record<DecisionReason, number>>;
  /** "Would block" decisions (action observe, OBSERVE mode) in the range: detected, not blocked. */
  wouldBlock?: number;
  /** Decisions with action permanent in the range, oldest first. */
  newPermanent: Decision[];
  /** Present when bucketSeconds was asked for: one entry per bucket, empty ones included. */
  series?: Array<{ at: number; attacks: number }>;
}

export interface Recipient {
  /** As entered, trimmed; unique ignoring case. */
  email: string;
  name: string | null;
}

export interface NewMail {
  /** What the mail is, e.g. 'daily-summary', 'attack-digest', 'test'. */
  kind: string;
  subject: string;
  text: string;
  html: string | null;
  /** Validated e-mail addresses, at least one. */
  to: string[];
  createdAt: number;
}

type MailState = 'pending' | 'sent' | 'abandoned';

/** Where a queued mail or webhook message stands (one durable queue shape for both). */
interface Delivery {
  id: number;
  state: MailState;
  /** Failed delivery attempts so far. */
  attempts: number;
  /** When it is next due; null once sent or abandoned. */
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastError: string | null;
  sentAt: number | null;
}

export interface OutboxMail extends NewMail, Delivery {}

/**
 * A webhook message as queued (issue 15 item 4): rendered for its target when queued, so
 * a restart delivers exactly what was meant. Delivered only while `target` is still one of
 * WEBHOOK_URLS (the daemon checks), so removing a webhook drops what waited for it.
 */
export interface NewWebhook {
  /** The WEBHOOK_URLS entry, `format:url`. */
  target: string;
  /** 'decisions' (a burst), 'alert' (at once), 'test' (the test button). */
  kind: string;
  /** The JSON body to POST. */
  body: string;
  createdAt: number;
}

export interface OutboxWebhook extends NewWebhook, Delivery {}

/** JSON-serialisable session payload (user, CSRF token, ...). */
export type SessionData = Record<string, unknown>;
