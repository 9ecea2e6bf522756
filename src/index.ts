// First: settings, then telemetry (see startup.ts), before `@azure/functions` loads.
import './startup';

import { app } from '@azure/functions';

// Streams are off: handlers read whole bodies, which the local host and Azure both support.
app.setup({ enableHttpStream: false });
