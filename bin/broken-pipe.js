// A reader that stops early (`migrate audit | head -c 100`) closes the pipe: that is the reader's
// choice, not an error of migrate's, so it exits at once and quietly (status 0) instead of dying with
// an EPIPE stack trace. Any other stream error stays what it was: an uncaught exception.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
