/**
 * The fuzzer's seeds: every frame of every capture in testdata/ (edge cases and the lab's
 * golden recordings of real tools: ~11 MB), the SIP messages found in them, and built
 * sequences the captures lack (IPv4/IPv6 fragments, TCP segments out of order, VLAN,
 * SLL/SLL2/null/loop links). Files are read in name order so a seed's stream never
 * depends on the directory listing's order.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ethernet,
  fragment4,
  fragment6,
  ipv4,
  loopLink,
  nullLink,
  sipRequest,
  sipResponse,
  sll,
  sll2,
  tcpSegments,
  udp,
  udpPacket,
} from '../core/packet/packets.testkit.js';
import { buildIpv4Fragments, buildTcpSegments } from '../core/packet/reuse-cases.testkit.js';
import { readCapture } from './pcap-file.js';

export interface SeedFrame {
  linkType: number;
  frame: Uint8Array;
}

export interface Corpus {
  /** Sequences of frames in capture order (a capture file, or a built sequence). */
  sequences: Array<{ name: string; frames: SeedFrame[] }>;
  /** Distinct SIP messages (text found in the frames, and built ones). */
  sip: Uint8Array[];
}

export const TESTDATA = join(import.meta.dirname, '..', '..', 'testdata');

function captureFiles(root: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(root, 'edge')).sort())
    if (/\.pcap(ng)?$/.test(f)) out.push(join(root, 'edge', f));
  for (const d of readdirSync(join(root, 'golden'), { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    if (d.isDirectory()) out.push(join(root, 'golden', d.name, 'capture.pcap'));
  }
  return out;
}

const START =
  /(?:REGISTER|INVITE|OPTIONS|SUBSCRIBE|NOTIFY|PUBLISH|ACK|BYE|CANCEL|MESSAGE|INFO|REFER|UPDATE|PRACK) sips?:|SIP\/2\.0 \d{3} /;
const LATIN1 = new TextDecoder('latin1');
const MAX_SIP = 4000;

function built(): Array<{ name: string; frames: SeedFrame[] }> {
  const body = 'v=0\r\n'.repeat(400);
  const msgs = [
    sipRequest({ authUser: '100' }),
    sipRequest({ method: 'INVITE', body }),
    sipResponse({ status: 401, stale: true }),
    sipResponse({ status: 403 }),
  ];
  const links: Array<[string, number, (ip: Uint8Array) => Uint8Array]> = [
    ['eth', 1, (ip) => ethernet(ip)],
    ['vlan', 1, (ip) => ethernet(ip, { vlans: [5, 6] })],
    ['sll', 113, (ip) => sll(ip)],
    ['sll2', 276, (ip) => sll2(ip)],
    ['raw', 101, (ip) => ip],
    ['null', 0, (ip) => nullLink(ip)],
    ['loop', 108, loopLink],
  ];
  const out: Array<{ name: string; frames: SeedFrame[] }> = [];
  for (const [name, lt, wrap] of links) {
    out.push({
      name: `built-${name}`,
      frames: msgs.flatMap((m) => [
        { linkType: lt, frame: wrap(udpPacket('203.0.113.1', 5060, '198.51.100.1', 5060, m)) },
        { linkType: lt, frame: wrap(udpPacket('2001:db8::1', 40000, '2001:db8::2', 5061, m)) },
      ]),
    });
  }
  const big = msgs[1]!;
  const v4 = ipv4({
    src: '203.0.113.3',
    dst: '198.51.100.1',
    proto: 17,
    payload: udp(5060, 5060, big),
    id: 9,
  });
  out.push({
    name: 'built-frag4',
    frames: fragment4(v4, 512).map((f) => ({ linkType: 1, frame: ethernet(f) })),
  });
  out.push({
    name: 'built-frag6',
    frames: fragment6('2001:db8::3', '2001:db8::1', 17, udp(5060, 5060, big), 512).map((f) => ({
      linkType: 101,
      frame: f,
    })),
  });
  const eth = (frames: Uint8Array[]) => frames.map((frame) => ({ linkType: 1, frame }));
  out.push({ name: 'built-frag4-reg', frames: eth(buildIpv4Fragments(2445, 600)) });
  out.push({ name: 'built-tcp-ooo', frames: eth(buildTcpSegments(1800, 500, true)) });
  const two = new Uint8Array(msgs[0]!.length + msgs[2]!.length);
  two.set(msgs[0]!);
  two.set(msgs[2]!, msgs[0]!.length);
  const segs = tcpSegments({
    src: '203.0.113.2',
    sport: 40000,
    dst: '198.51.100.1',
    dport: 5060,
    chunks: [two.subarray(0, 50), two.subarray(50)],
    fin: true,
  });
  out.push({ name: 'built-tcp', frames: segs.map((s) => ({ linkType: 1, frame: ethernet(s.packet) })) });
  return out;
}

/** Loads the seeds (a few seconds: the golden captures are read whole). */
export async function loadCorpus(root = TESTDATA): Promise<Corpus> {
  const sequences: Corpus['sequences'] = [];
  const seen = new Set<string>();
  const sip: Uint8Array[] = [];
  for (const path of captureFiles(root)) {
    const frames: SeedFrame[] = [];
    for await (const r of readCapture(path)) {
      const frame = r.frame.slice();
      frames.push({ linkType: r.linkType, frame });
      if (sip.length >= MAX_SIP) continue;
      const text = LATIN1.decode(frame);
      const m = START.exec(text);
      if (m === null) continue;
      const msg = text.slice(m.index);
      if (seen.has(msg)) continue;
      seen.add(msg);
      sip.push(frame.slice(m.index));
    }
    sequences.push({ name: path.slice(root.length + 1), frames });
  }
  for (const b of built()) {
    sequences.push(b);
  }
  sip.push(sipRequest({ authUser: '100' }), sipResponse({ status: 401, stale: true }));
  return { sequences, sip };
}
