import { app } from '@azure/functions';

// Streams are off: handlers read whole bodies, which the local host and Azure both support.
app.setup({ enableHttpStream: false });
