/**
 * The simulator's state on disk, for `npm start`: offers with their scenarios, Cloud Partner Portal operations and
 * Product Ingestion products and jobs, saved as JSON (at most once a second, when something changed, and on close)
 * and read back at start. Operation progress is derived from the clock, so an operation that was running goes on
 * where the wall clock says it is. The request log is not kept. Works over `SimulatorState`'s public methods only.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { OfferState, SimulatorState } from './state';

export const SNAPSHOT_VERSION = 1;

interface Snapshot {
  version: number;
  savedAt: string;
  offers: OfferState[];
}

export interface SimulatorPersistence {
  /** Whether state was read back from the file at start. */
  readonly restored: boolean;
  /** How many offers were read back. */
  readonly restoredOffers: number;
  /** Attach to the simulator's state (`SimulatorOptions.onState`): reads the file into it, then saves on change. */
  attach(state: SimulatorState): void;
  /** Saves now and stops the periodic save (call after the simulator closed). */
  close(): void;
}

/** A file that cannot be read is set aside (`.unreadable`) and the simulator starts from its seeded offers. */
function readSnapshot(file: string): Snapshot | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Snapshot>;
    if (parsed.version !== SNAPSHOT_VERSION || !Array.isArray(parsed.offers)) throw new Error('unknown snapshot');
    return parsed as Snapshot;
  } catch {
    renameSync(file, `${file}.unreadable`);
    return undefined;
  }
}

export function createSimulatorPersistence(
  file: string,
  options: { saveIntervalMs?: number } = {},
): SimulatorPersistence {
  let state: SimulatorState | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastSaved = '';
  let restored = false;
  let restoredOffers = 0;

  const save = (): void => {
    if (!state) return;
    const offers = state.listOffers();
    const text = JSON.stringify(offers);
    if (text === lastSaved) return;
    mkdirSync(path.dirname(file), { recursive: true });
    const snapshot: Snapshot = { version: SNAPSHOT_VERSION, savedAt: new Date().toISOString(), offers };
    writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
    renameSync(`${file}.tmp`, file);
    lastSaved = text;
  };

  return {
    get restored() {
      return restored;
    },
    get restoredOffers() {
      return restoredOffers;
    },
    attach(target) {
      state = target;
      const snapshot = readSnapshot(file);
      if (snapshot) {
        for (const saved of snapshot.offers) {
          const offer =
            target.getOffer(saved.publisherId, saved.offerId) ?? target.addOffer(saved.publisherId, saved.offerId);
          Object.assign(offer, saved);
        }
        restored = true;
        restoredOffers = snapshot.offers.length;
        lastSaved = JSON.stringify(target.listOffers());
      }
      timer = setInterval(() => {
        try {
          save();
        } catch (e) {
          process.stderr.write(`simulator: could not save its state to ${file}: ${String(e)}\n`);
        }
      }, options.saveIntervalMs ?? 1_000);
      timer.unref();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      save();
    },
  };
}

/** Forgets the saved state (`npm start -- --fresh`). */
export function removeSimulatorState(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.tmp`, { force: true });
}
