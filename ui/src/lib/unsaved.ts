// Work a screen has not saved yet (a visit form's latest answers), saved before the window
// closes: each open form registers how to save itself, and closing the window waits for all.

type Save = () => Promise<void>;

const savers = new Set<Save>();

/** Registers `save` until the returned function is called (when the form goes away). */
export function keepUntilSaved(save: Save): () => void {
  savers.add(save);
  return () => savers.delete(save);
}

/** Saves everything registered; a save that fails does not stop the others. */
export async function saveEverything(): Promise<void> {
  await Promise.allSettled([...savers].map((save) => save()));
}
