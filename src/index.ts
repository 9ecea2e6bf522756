import { app } from '@azure/functions';

import { getConfig } from './config';

// Settings are read once and validated here, first of the entry points (package.json main): a bad setting stops
// start-up with one message naming it, before any function module loads.
getConfig();

// Streams are off: handlers read whole bodies, which the local host and Azure both support.
app.setup({ enableHttpStream: false });
