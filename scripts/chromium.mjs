// How the tests start Debian's Chromium on these machines (shared by tests/browser and
// examples/): headless, no sandbox (root), and none of the background networking a closed
// network refuses. Takes playwright-core's `chromium` from the caller, whose node_modules has it.
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** A persistent context on the fresh, empty profile folder `profile`. */
export function launchChromium(chromium, profile) {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
}
