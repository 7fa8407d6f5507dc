/** Runs `check` until it passes; past `withinMs`, its last failure is the test's. */
export async function eventually(
  check: () => Promise<void>,
  withinMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
