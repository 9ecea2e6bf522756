/**
 * Bad input end to end: the fixed corpus (test/fixtures/bad-input/corpus.json) and a seeded fuzz are put on
 * `golive-requests` against the built app in the local host (child process), Azurite and the simulator.
 *
 * The contract (DESIGN.md "Go-live request", and the host's decoding behaviour): a message the trigger can decode
 * is rejected by the app onto `golive-rejected` with a reason and its original text, and one `golive.rejected`
 * event; a stored text that is not base64 cannot be decoded by the host and goes to `golive-requests-poison`
 * unchanged without invoking the app. None starts a run or reaches the partner API; the host stays up.
 * Then nothing the run produced (logs, queues, tables, blobs) holds the token, the client secret or the storage key.
 *
 * The fuzz seed is printed; SOAK_SEED=<n> repeats a run, BAD_INPUT_FUZZ=<n> changes its size (default 300).
 */
import { fuzzMessages, loadCorpus } from '../../../scripts/soak/badInput';
import { type BadInputResult, runBadInput } from '../../../scripts/soak/badInputRun';
import { freshSeed } from '../../../scripts/soak/prng';
import { scanAll } from '../../../scripts/soak/secrets';
import { type Stack, startStack } from '../../../scripts/soak/stack';
import { dumpStorage } from '../../../scripts/soak/storage';

jest.setTimeout(300_000);

const seed = process.env['SOAK_SEED'] ? Number(process.env['SOAK_SEED']) : freshSeed();
const fuzzCount = process.env['BAD_INPUT_FUZZ'] ? Number(process.env['BAD_INPUT_FUZZ']) : 300;

let stack: Stack | undefined;
let result: BadInputResult;

beforeAll(async () => {
  stack = await startStack();
  const corpus = loadCorpus();
  const fuzz = fuzzMessages(seed, fuzzCount);
  process.stdout.write(`bad input: ${corpus.length} corpus messages, ${fuzz.length} fuzz messages, seed ${seed}\n`);
  result = await runBadInput(stack, [...corpus, ...fuzz]);
});

afterAll(async () => {
  await stack?.close();
});

describe(`bad input (fuzz seed ${seed})`, () => {
  it('rejects every decodable message with a reason and poisons only what the host cannot decode', () => {
    expect(result.problems).toEqual([]);
    expect(result.rejected).toBe(result.expectedRejected);
    expect(result.poisoned).toBe(result.expectedPoison);
    expect(result.expectedPoison).toBeGreaterThan(0);
    expect(result.sent).toBe(result.expectedRejected + result.expectedPoison);
  });

  it('sends nothing to the partner API and keeps one host process up', async () => {
    const s = stack as Stack;
    expect(result.partnerRequests).toBe(0);
    expect(s.simulator.admin.requests({ method: 'POST' })).toEqual([]);
    expect(s.host.running).toBe(true);
    expect(s.host.starts).toBe(1);
    expect(s.host.unexpectedExits).toEqual([]);
    const res = await fetch(`${s.host.baseUrl}/api/golive`);
    expect(res.status).toBe(200);
  });

  it('leaves no token, client secret or storage key in logs, queues, tables or blobs', async () => {
    const s = stack as Stack;
    const stored = await dumpStorage(s.connectionString);
    const logs = s.host.lines.map((text, i) => ({ where: `host log line ${i + 1}`, text }));
    const scan = scanAll([...logs, ...result.texts, ...stored], s.secrets);
    expect(scan.findings).toEqual([]);
    expect(scan.scanned).toBeGreaterThan(result.sent);
  });
});
