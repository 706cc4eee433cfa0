// The work a screen runs on the user's behalf: whether it is running (its buttons wait), what
// went wrong, in words, and what came of it when the person stopped it.
import { asAppError } from './api';
import { errorText } from './i18n.svelte';

export class Task {
  running = $state(false);
  problem = $state<string | null>(null);
  /** Set when the person stopped the work: what is kept, in words (not an error). */
  stopped = $state<string | null>(null);

  /** Runs `work`; a failure is kept in `problem` until the next run. */
  async run(work: () => Promise<void>): Promise<void> {
    this.running = true;
    this.problem = null;
    this.stopped = null;
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
    const error = asAppError(e);
    if (error.kind === 'stopped') this.stopped = errorText(error);
    else this.problem = errorText(error);
  }
}
