import { describe, expect, it } from 'vitest';
import { Task } from './task.svelte';
import { setLanguage } from './i18n.svelte';

describe('a task', () => {
  it('keeps a failure as a problem, in words', async () => {
    setLanguage('en');
    const task = new Task();
    await task.run(async () => {
      throw { kind: 'offline', message: 'connection refused', russian: 'соединение отклонено' };
    });
    expect(task.problem).toBe('No connection to the server. Your work is kept on this device and goes with the next sync.');
    expect(task.stopped).toBeNull();
    expect(task.running).toBe(false);
  });

  it('tells a stop apart from a failure, with what was kept', async () => {
    setLanguage('ru');
    const task = new Task();
    await task.run(async () => {
      throw {
        kind: 'stopped',
        message: 'the import was stopped with 500 of 2000 rows in; import the file again to bring in the rest',
        russian: 'импорт остановлен: внесено строк — 500 из 2000; импортируйте файл ещё раз, чтобы внести остальные',
      };
    });
    expect(task.problem).toBeNull();
    expect(task.stopped).toBe('Импорт остановлен: внесено строк — 500 из 2000; импортируйте файл ещё раз, чтобы внести остальные');
    await task.run(async () => undefined);
    expect(task.stopped).toBeNull();
  });
});
