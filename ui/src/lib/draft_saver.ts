// When a visit form's draft is saved: a moment after each change, again and again while a save
// fails (each failure reported), and at once when the window closes or the form goes away.

export type DraftSaved = { saved: true } | { saved: false; error: unknown };

export class DraftSaver {
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Whether the form holds answers no draft has yet. */
  private unsaved = false;

  constructor(
    private readonly save: () => Promise<void>,
    private readonly heard: (outcome: DraftSaved) => void,
    private readonly afterChangeMs = 800,
    private readonly retryMs = 3000,
  ) {}

  /** The form changed: its draft is saved a moment later (later still if it keeps changing). */
  changed(): void {
    this.unsaved = true;
    this.schedule(this.afterChangeMs);
  }

  /** Whether a save is waiting to run. */
  get waiting(): boolean {
    return this.timer !== null;
  }

  /** Saves now if anything is unsaved (the window is closing). */
  async flush(): Promise<void> {
    if (this.unsaved) await this.run();
  }

  /** Stops waiting (the visit is recorded or thrown away); returns whether a save was waiting. */
  cancel(): boolean {
    const was = this.timer !== null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return was;
  }

  private schedule(ms: number): void {
    this.cancel();
    this.timer = setTimeout(() => void this.run(), ms);
  }

  private async run(): Promise<void> {
    this.cancel();
    this.unsaved = false;
    try {
      await this.save();
      // A change made while this save was on its way is not in it: that one saves next.
      if (this.timer === null) this.heard({ saved: true });
    } catch (error) {
      this.unsaved = true;
      this.heard({ saved: false, error });
      if (this.timer === null) this.schedule(this.retryMs);
    }
  }
}
