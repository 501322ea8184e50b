/**
 * The wire types are derived from the route schemas; the ports and the core keep their own
 * TypeScript types. These checks tie each pair: if a field is added, dropped or retyped on
 * one side only, `tsc` fails here (the assertion below only compiles when every pair
 * accepts exactly the same values).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as History from '../../core/history/events.js';
import type * as Lists from '../../core/lists/lists.js';
import type * as Records from '../../core/records.js';
import type * as Core from '../../core/types.js';
import type * as Port from '../../ports/admin.js';
import type * as ClusterPort from '../../ports/cluster.js';
import type * as FeedsPort from '../../ports/feeds.js';
import type { LiveEvent } from '../types.js';
import type * as WireCluster from './cluster.js';
import type { StreamEvent } from './events.js';
import type * as WireFeeds from './feeds.js';
import type * as HistoryWire from './history.js';
import type * as Wire from './records.js';
import type { Same } from './schema.js';

type Pairs = [
  Same<Wire.ListEntry, Core.ListEntry>,
  Same<Wire.ChangeResult, Lists.ChangeResult>,
  Same<Wire.RemoveResult, Lists.RemoveResult>,
  Same<Wire.ImportResult, Lists.ImportResult>,
  Same<Wire.DynamicBlock, Port.DynamicBlock>,
  Same<Wire.Decision, Core.Decision>,
  Same<Wire.AttackRecord, Records.AttackRecord>,
  Same<Wire.Recipient, Records.Recipient>,
  Same<Wire.StatusReport, Port.StatusReport>,
  Same<Wire.CheckResult, Port.CheckResult>,
  Same<WireCluster.ClusterStatus, ClusterPort.ClusterStatus>,
  Same<Wire.HistoryEvent, History.HistoryEvent>,
  Same<HistoryWire.HistoryAnswer, Port.HistoryAnswer>,
  Same<StreamEvent['changes']['unblocks'][number]['reason'], Core.DecisionReason>,
  Same<StreamEvent['lists']['list'], Extract<LiveEvent, { type: 'lists' }>['list']>,
  Same<WireFeeds.FeedStatus, FeedsPort.FeedStatus>,
];

const allSame: Pairs = [
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
];

test('the wire types and the port and core types accept the same values (checked by tsc)', () => {
  assert.ok(allSame.every((x) => x === true));
});
