/** The submit ledger on a real table service (Azurite): the first mark of a run is made once, across processes. */
import { loadConfig } from '../../../src/config';
import { createSubmitLedger, SUBMIT_LEDGER_TABLE } from '../../../src/golive/submitLedger';
import { type RunningAzurite, startAzurite } from '../../support/azurite';
import { freePort } from '../../support/ports';

let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
}, 60_000);
afterAll(() => azurite?.close());

const ledgerOn = (connectionString: string) => {
  const ledger = createSubmitLedger(loadConfig({ AzureWebJobsStorage: connectionString }).storage);
  if (!ledger) throw new Error('no ledger');
  return ledger;
};

describe('submit ledger', () => {
  it('says "first" once per run, also to another process on the same storage', async () => {
    const one = ledgerOn(azurite.connectionString);
    const other = ledgerOn(azurite.connectionString);
    expect(await one.firstSubmit('run-a')).toBe(true);
    expect(await one.firstSubmit('run-a')).toBe(false);
    expect(await other.firstSubmit('run-a')).toBe(false);
    expect(await other.firstSubmit('run/b#?')).toBe(true);
    expect(await one.firstSubmit('run/b#?')).toBe(false);
    expect(SUBMIT_LEDGER_TABLE).toMatch(/^[A-Za-z][A-Za-z0-9]{2,62}$/);
  });

  it('says "not first" and warns when storage cannot answer', async () => {
    const port = await freePort();
    const ledger = ledgerOn(
      azurite.connectionString.replace(
        /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
        `TableEndpoint=http://127.0.0.1:${port}`,
      ),
    );
    const warnings: string[] = [];
    expect(await ledger.firstSubmit('run-c', (m) => warnings.push(m))).toBe(false);
    expect(warnings.join('\n')).toMatch(/could not mark run run-c.*looked up as after a crash/);
    expect(warnings.join('\n')).not.toContain('Eby8vdM02x');
  }, 60_000);

  it('reads the identity-based connection the host uses in Azure', () => {
    expect(
      loadConfig({
        AzureWebJobsStorage__accountName: 'stgolive',
        AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000001',
      }).storage,
    ).toEqual({
      kind: 'identity',
      tableServiceUri: 'https://stgolive.table.core.windows.net',
      clientId: '00000000-0000-0000-0000-000000000001',
    });
    expect(
      loadConfig({ AzureWebJobsStorage__tableServiceUri: 'https://x.table.core.windows.net/' }).storage,
    ).toMatchObject({ kind: 'identity', tableServiceUri: 'https://x.table.core.windows.net/' });
    expect(loadConfig({}).storage).toEqual({ kind: 'none' });
    expect(createSubmitLedger({ kind: 'none' })).toBeUndefined();
  });
});
