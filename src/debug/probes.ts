/**
 * The probes: `/-/ready` (200 once every component runs; 503 while starting, draining or shutting
 * down) and `/-/healthy` (200, or 500 listing the unhealthy components), in plain text as Alloy
 * and Prometheus answer them.
 */
import type { ComponentInfo } from '../core/component.js';
import type { RunningPipelines } from '../core/runner.js';

/** A probe's answer. */
export interface ProbeAnswer {
  readonly status: number;
  readonly body: string;
}

/** The answer of `/-/ready`; `closing` is set once the server itself is shutting down. */
export function readiness(running: RunningPipelines, closing: boolean): ProbeAnswer {
  if (closing) return { status: 503, body: 'rivulet is not ready: shutting down\n' };
  if (running.isDraining()) return { status: 503, body: 'rivulet is not ready: draining\n' };
  if (!running.isReady()) {
    const starting = running.registry
      .components()
      .filter((c) => c.health().state === 'starting')
      .map((c) => c.id);
    return { status: 503, body: `rivulet is not ready: starting ${starting.join(', ')}\n` };
  }
  return { status: 200, body: 'rivulet is ready.\n' };
}

/** The answer of `/-/healthy`. */
export function healthiness(running: RunningPipelines): ProbeAnswer {
  const unhealthy = running.unhealthy();
  if (unhealthy.length === 0) return { status: 200, body: 'All rivulet components are healthy.\n' };
  return { status: 500, body: `unhealthy components:\n${unhealthy.map(line).join('')}` };
}

function line(component: ComponentInfo): string {
  const { state, message } = component.health();
  const shown = message.replace(/\s*\n\s*/g, ' ');
  return `  ${component.id} (${state}): ${shown === '' ? 'no message' : shown}\n`;
}
