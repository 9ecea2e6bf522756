import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startSimulator } from '../../../tools/simulator';
import { createSimulatorPersistence, removeSimulatorState } from '../../../tools/simulator/persistence';

describe('simulator persistence', () => {
  it('keeps offers, scenarios and running operations across a restart; the operation goes on by the clock', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sim-state-')), 'simulator.json');
    const first = createSimulatorPersistence(file);
    const sim = await startSimulator({ onState: (s) => first.attach(s), defaults: { durationMs: 60_000 } });
    expect(first.restored).toBe(false);
    sim.admin.addOffer('kept', 'offer', { outcome: 'failed', throttle: { count: 1 } });
    const goLive = () =>
      fetch(`${sim.url}/api/publishers/kept/offers/offer/golive?api-version=2017-10-31`, {
        method: 'POST',
        headers: { authorization: 'Bearer local-dev-token', 'content-type': 'application/json' },
        body: '{}',
      });
    expect((await goLive()).status).toBe(429); // the scenario's throttle counter
    const accepted = await goLive();
    expect(accepted.status).toBe(202);
    const operationPath = accepted.headers.get('location')!;
    await sim.close();
    first.close();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1 });

    const second = createSimulatorPersistence(file);
    const again = await startSimulator({ onState: (s) => second.attach(s) });
    try {
      expect(second.restored).toBe(true);
      expect(again.admin.getScenario('kept', 'offer')).toMatchObject({ outcome: 'failed', throttle: { count: 0 } });
      const read = await fetch(new URL(operationPath, again.url), {
        headers: { authorization: 'Bearer local-dev-token' },
      });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { status: string }).status).toMatch(/notStarted|running/);
    } finally {
      await again.close();
      second.close();
    }
  });

  it('sets an unreadable file aside and starts from the seeded offers; remove forgets the state', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sim-state-'));
    const file = path.join(dir, 'simulator.json');
    writeFileSync(file, '{ not json');
    const persistence = createSimulatorPersistence(file);
    const sim = await startSimulator({ onState: (s) => persistence.attach(s) });
    expect(persistence.restored).toBe(false);
    expect(readFileSync(`${file}.unreadable`, 'utf8')).toBe('{ not json');
    expect(sim.admin.getScenario('contoso', 'contoso-app').outcome).toBe('succeeded');
    await sim.close();
    persistence.close();
    removeSimulatorState(file);
    expect(() => readFileSync(file)).toThrow();
  });
});
