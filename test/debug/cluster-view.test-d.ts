import { expectTypeOf, test } from 'vitest';
import type { ClusterNode, Member } from '../../src/cluster/index.js';
import type { ClusterMemberView, ClusterView, Membership } from '../../src/core/extension-points.js';
import { type DebugServerOptions, debugServer } from '../../src/debug/index.js';

declare const node: ClusterNode;
declare const membership: Membership;

test('a cluster() node is a ClusterView, so debugServer takes it as its cluster', () => {
  expectTypeOf<ClusterNode>().toExtend<ClusterView>();
  expectTypeOf<Member>().toExtend<ClusterMemberView>();
  expectTypeOf<ClusterMemberView['state']>().toEqualTypeOf<Member['state']>();
  debugServer({ cluster: node });
  debugServer({ cluster: node.membership });
  debugServer({ cluster: membership });
  expectTypeOf<ClusterNode>().toExtend<NonNullable<DebugServerOptions['cluster']>>();
});

test('anything else is refused', () => {
  // @ts-expect-error a list of members is not a cluster
  debugServer({ cluster: [] as ClusterMemberView[] });
  const wrong: ClusterMemberView = {
    name: 'a',
    address: '::1',
    port: 1,
    // @ts-expect-error a member's state must be one of the four
    state: 'up',
    incarnation: 0,
    self: true,
  };
  expectTypeOf(wrong).toEqualTypeOf<ClusterMemberView>();
});
