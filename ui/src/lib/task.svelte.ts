// The work a screen runs on the user's behalf: whether it is running (its buttons wait), and
// what went wrong, in words.
import { asAppError } from './api';
import { errorText } from './i18n.svelte';

export class Task {
  running = $state(false);
  problem = $state<string | null>(null);

  /** Runs `work`; a failure is kept in `problem` until the next run. */
  async run(work: () => Promise<void>): Promise<void> {
    this.running = true;
    this.problem = null;
    try {
      await work();
    } catch (e) {
      this.fail(e);
    } finally {
      this.running = false;
    }
  }

  /** Keeps the failure of work done outside `run` (a screen's first read). */
  fail(e: unknown): void {
    this.problem = errorText(asAppError(e));
  }
}
