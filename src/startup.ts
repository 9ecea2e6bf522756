import { getConfig } from './config';
import { startTelemetry } from './events/telemetry';

// Settings are read once and validated here, first of the entry points (package.json main): a bad setting stops
// start-up with one message naming it, before any function module loads.
const config = getConfig();

// Telemetry starts before `@azure/functions` loads (its OpenTelemetry instrumentation patches it on load) and before
// any handler runs. Without a connection string this loads nothing.
startTelemetry(config);
