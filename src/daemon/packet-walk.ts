/**
 * The packet path's first half: a frame (libpcap) or a HEPv3 packet → the decoder → each
 * SIP event handed in order to the judge (pipeline.ts: history, engine, enforcer). Owns the
 * decoder (its TCP reassembly state outlives a reload unless what capture sees changed),
 * the HEP port notice and the per-message metrics. Split from pipeline.ts, which owns what
 * happens to a judged event: a flood hands this ~20k frames a second, so nothing here
 * allocates per frame beyond what the decoder returns.
 */
import { networkInterfaces } from 'node:os';
import type { Engine } from '../core/engine.js';
import { Decoder } from '../core/packet/decoder.js';
import { START_REQUEST } from '../core/sip/parse.js';
import type { Config, SipEvent } from '../core/types.js';
import type { Logger } from '../ports/logger.js';
import { HepPortNotice } from './hep-ports.js';
import type { PacketSink } from './inputs.js';

/** What the packet path tells metrics: cheap, synchronous, never throws. */
export interface PacketMeter {
  /** A frame captured at `at` reached the decoder at `now` (epoch seconds). */
  frame(at: number, now: number): void;
  sipMessage(kind: 'request' | 'response', method: string, status: number | null): void;
}

export interface PacketWalkDeps {
  /** The engine in force (replaced on reload): a blocked source's request is judged by address. */
  engine(): Engine;
  /** One decoded SIP event, in packet order. */
  judge(ev: SipEvent): void;
  /** After a packet that yielded events: the engine's next due time may have moved. */
  moved(): void;
  log: Logger;
  meter?: PacketMeter | undefined;
  /** Epoch seconds. */
  clock(): number;
}

export class PacketWalk implements PacketSink {
  private decoder: Decoder;
  private hepPorts: HepPortNotice;

  constructor(
    config: Config,
    private readonly d: PacketWalkDeps,
  ) {
    this.decoder = newDecoder(config, d.engine);
    this.hepPorts = new HepPortNotice(config.sipPorts, new Set(localAddresses()), d.log);
  }

  onFrame(linkType: number, at: number, frame: Uint8Array): void {
    this.d.meter?.frame(at, this.d.clock());
    let events: ReturnType<Decoder['push']>;
    try {
      events = this.decoder.push(linkType, at, frame);
    } catch (e) {
      this.d.log.error({ err: e }, 'decoder failed on a frame; frame skipped');
      return;
    }
    this.judgeAll(events, false);
  }

  /** A HEPv3 packet from the SIP server (SIP over TLS included), judged at arrival time. */
  onHep(buf: Uint8Array): void {
    let events: ReturnType<Decoder['pushHep']>;
    try {
      events = this.decoder.pushHep(buf, { at: this.d.clock() });
    } catch (e) {
      this.d.log.error({ err: e }, 'decoder failed on a HEP packet; packet skipped');
      return;
    }
    this.judgeAll(events, true);
  }

  /**
   * Each event counted and judged in order. By index: a for…of made an iterator object a
   * frame (~20k a second in a flood), young garbage on the packet path; replay walks its
   * events the same way.
   */
  private judgeAll(events: readonly SipEvent[], mirrored: boolean): void {
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      this.d.meter?.sipMessage(ev.msg.kind, ev.msg.method, ev.msg.status);
      if (mirrored) this.hepPorts.seen(ev, this.d.clock());
      this.d.judge(ev);
    }
    if (events.length > 0) this.d.moved();
  }

  /** A reloaded config: the SIP ports anew, a new decoder only when what capture sees changed. */
  reconfigure(config: Config, captureChanged: boolean): void {
    if (captureChanged) this.decoder = newDecoder(config, this.d.engine);
    this.hepPorts = new HepPortNotice(config.sipPorts, new Set(localAddresses()), this.d.log);
  }

  /** SIP messages decoded so far (status). */
  get sipMessages(): number {
    return this.decoder.stats.sip;
  }
}

export function newDecoder(config: Config, engine: () => Engine): Decoder {
  const d = new Decoder({ sipPorts: config.sipPorts, protocols: config.protocols });
  // A blocked source's request is judged by its address: its headers are not parsed (as in
  // replay); answers are parsed whole, for the evidence log (history.observe).
  // The addresses come as numbers too (read from the packet): no text parsed per lookup.
  d.startOnly = (at, src, sport, dst, dport, srcV4, dstV4) =>
    engine().decidedByAddress(at, src, sport, dst, dport, START_REQUEST, srcV4, dstV4);
  return d;
}

/** The host's own addresses: a PBX talking to its trunk from port 5060 is not an attacker. */
export function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.push(a.address.split('%')[0]!);
  }
  return out;
}
