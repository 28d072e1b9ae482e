import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../../src/monitoring/metrics/index.ts';

interface Target {
  readonly expr?: string;
}
interface Dashboard {
  readonly panels: ReadonlyArray<{ readonly title: string; readonly targets: readonly Target[] }>;
  readonly templating: { readonly list: ReadonlyArray<{ readonly query?: unknown }> };
}

const root = process.cwd();
const dashboard = JSON.parse(
  readFileSync(join(root, 'deploy', 'grafana-dashboard.json'), 'utf8'),
) as Dashboard;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Every metric a fully wired instance registers, with its type. */
async function registered(): Promise<Map<string, string>> {
  const metrics = new ServiceMetrics();
  metrics.watch({
    activeBlocks: async () => 0,
    storeMode: () => 'memory',
    audit: { writtenCount: 0, droppedCount: 0 },
    hashQueue: { queued: 0, inFlight: 0 },
  });
  const json = await metrics.registry.getMetricsAsJSON();
  return new Map(json.map((m) => [m.name, String(m.type)]));
}

const METRIC = /\b(?:flux_auth|process|nodejs)_[a-z0-9_]+\b/g;

function queriesOf(d: Dashboard): string[] {
  const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr ?? ''));
  const templates = d.templating.list.map((v) => (typeof v.query === 'string' ? v.query : ''));
  return [...exprs, ...templates];
}

/** A series name as the registry knows it: histogram `_bucket/_sum/_count` → the histogram. */
function familyOf(name: string, types: Map<string, string>): string | null {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram' ? base : null;
}

describe('metric names stay in agreement', () => {
  it('every metric the Grafana dashboard queries exists in the registry', async () => {
    const types = await registered();
    const used = new Set(queriesOf(dashboard).flatMap((q) => q.match(METRIC) ?? []));
    expect(used.size).toBeGreaterThan(10);
    const unknown = [...used].filter((name) => familyOf(name, types) === null);
    expect(unknown).toEqual([]);
  });

  it('the dashboard shows, and the README documents, every flux_auth metric', async () => {
    const types = await registered();
    const ours = [...types.keys()].filter((name) => name.startsWith('flux_auth_'));
    expect(ours.length).toBeGreaterThanOrEqual(15);
    const queried = new Set(
      queriesOf(dashboard)
        .flatMap((q) => q.match(METRIC) ?? [])
        .map((name) => familyOf(name, types)),
    );
    expect(ours.filter((name) => !queried.has(name))).toEqual([]);
    expect(ours.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('each panel has a title and at least one query', () => {
    for (const panel of dashboard.panels) {
      expect(panel.title).not.toBe('');
      expect(panel.targets.length).toBeGreaterThan(0);
    }
  });
});
