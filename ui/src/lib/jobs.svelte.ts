// The app's long jobs (an import's preview and applying, an export, the duplicate search, a
// sync) as the window follows them: how far each has got, from the `job-progress` events, and
// stopping one. The job runs in the app on a connection of its own, so the rest of the window
// keeps answering meanwhile; a stopped job's command fails with the kind `stopped`.
import { listen } from '@tauri-apps/api/event';
import { api } from './api';
import type { Job, JobProgress } from './types';

export const jobs = $state<{ progress: Partial<Record<Job, JobProgress>> }>({ progress: {} });

/** Follows the `job-progress` events for as long as the window is open. */
export function followJobs(): Promise<() => void> {
  return listen<JobProgress>('job-progress', (event) => {
    jobs.progress[event.payload.job] = event.payload;
  });
}

/** Forgets a job's progress before it starts again. */
export function restart(job: Job): void {
  delete jobs.progress[job];
}

export const stopJob = (job: Job) => api.stopJob(job);
