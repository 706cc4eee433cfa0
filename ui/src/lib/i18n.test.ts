import { beforeEach, describe, expect, it } from 'vitest';
import { compareNames, errorText, formatTime, i18n, plural, setLanguage, t } from './i18n.svelte';
import { describeAnswer, describeValue, fieldLabel, STATUSES, statusKey } from './format';
import type { Question } from './types';

describe('languages', () => {
  beforeEach(() => setLanguage('ru'));

  it('speaks Russian first and switches to English and back', () => {
    expect(t('sign_in')).toBe('Войти');
    setLanguage('en');
    expect(i18n.language).toBe('en');
    expect(t('sign_in')).toBe('Sign in');
    expect(document.documentElement.lang).toBe('en');
    setLanguage('ru');
    expect(t('sign_in')).toBe('Войти');
  });

  it('remembers the choice on the device', () => {
    setLanguage('en');
    expect(localStorage.getItem('census.language')).toBe('en');
  });

  it('fills in placeholders, and shows a missing one as it is', () => {
    expect(t('pending', { n: 3 })).toBe('Ждут отправки: 3');
    setLanguage('en');
    expect(t('synced', { pushed: 2, received: 5 })).toBe('Done: 2 changes sent, 5 prospects updated');
    expect(t('pending')).toBe('Waiting to send: {n}');
  });

  it('names every status in both languages', () => {
    for (const language of ['ru', 'en'] as const) {
      setLanguage(language);
      const names = STATUSES.map((s) => t(statusKey(s)));
      expect(new Set(names).size).toBe(STATUSES.length);
      for (const name of names) expect(name).not.toMatch(/^status\./);
    }
  });

  it('formats times in the language chosen, and no time as a dash', () => {
    const moment = Date.UTC(2026, 10, 28, 12, 0);
    setLanguage('ru');
    expect(formatTime(moment)).toMatch(/2026/);
    expect(formatTime(moment)).toMatch(/нояб/);
    setLanguage('en');
    expect(formatTime(moment)).toMatch(/Nov/);
    expect(formatTime(null)).toBe('—');
  });
});

describe('fields and values in words', () => {
  it('says an answer by its option labels and numbers as the language writes them', () => {
    const question = {
      choices: [
        { value: 'yes', label: { ru: 'Да', en: 'Yes' } },
        { value: 'no', label: { ru: 'Нет', en: 'No' } },
      ],
    } as unknown as Question;
    setLanguage('ru');
    expect(describeAnswer({ type: 'select_one', value: 'no' }, question)).toBe('Нет');
    expect(describeAnswer({ type: 'select_many', value: ['yes', 'no'] }, question)).toBe('Да, Нет');
    expect(describeAnswer({ type: 'decimal', value: 85.5 })).toBe('85,5');
    expect(describeAnswer({ type: 'select_one', value: 'unknown' }, question)).toBe('unknown');
    setLanguage('en');
    expect(describeAnswer({ type: 'select_one', value: 'no' }, question)).toBe('No');
    expect(describeAnswer({ type: 'decimal', value: 85.5 })).toBe('85.5');
  });

  it('names a field path without its ids, and a status in the language shown', () => {
    setLanguage('en');
    expect(fieldLabel('contacts/0192f0c1-aaaa/phone')).toBe('Contacts · Phone');
    expect(fieldLabel('status')).toBe('Status');
    expect(describeValue({ type: 'text', value: 'refused' }, 'status')).toBe('Refused');
    setLanguage('ru');
    expect(describeValue({ type: 'text', value: 'refused' }, 'status')).toBe('Отказ');
    expect(describeValue({ type: 'text', value: 'Ромашка' }, 'name')).toBe('“Ромашка”');
    expect(describeValue({ type: 'missing' })).toBe('—');
  });

  it('puts a disputed deletion or merge as the choice a manager makes', () => {
    setLanguage('ru');
    expect(fieldLabel('deleted')).toBe('Удаление точки');
    expect(describeValue({ type: 'flag', value: true }, 'deleted')).toBe('удалить точку');
    expect(describeValue({ type: 'flag', value: false }, 'deleted')).toBe('оставить точку с новыми изменениями');
    expect(describeValue({ type: 'missing' }, 'merged_into')).toBe('оставить точку с новыми изменениями');
    setLanguage('en');
    expect(describeValue({ type: 'text', value: '0192f0c1-aaaa' }, 'merged_into')).toBe('merge (the new work goes to the prospect kept)');
  });

  it('says what went wrong in the language shown, with the specifics where they matter', () => {
    setLanguage('ru');
    const offline = { kind: 'offline' as const, message: 'cannot reach http://127.0.0.1:9', russian: 'сервер недоступен' };
    expect(errorText(offline)).toMatch(/^Нет связи с сервером/);
    const refused = { kind: 'server' as const, message: 'the change is too large', russian: 'изменение слишком велико' };
    expect(errorText(refused)).toBe('Сервер не принял запрос: изменение слишком велико');
    setLanguage('en');
    expect(errorText(refused)).toBe('The server did not accept it: the change is too large');
    expect(errorText({ kind: 'wrong_password', message: 'x', russian: 'х' })).toBe('The login or password is wrong.');
  });

  it('shows a message the app words in both languages in the one shown, as a sentence', () => {
    const empty = { kind: 'invalid' as const, message: 'the file cannot be imported: the file is empty', russian: 'файл не импортируется: файл пуст' };
    setLanguage('ru');
    expect(errorText(empty)).toBe('Файл не импортируется: файл пуст');
    setLanguage('en');
    expect(errorText(empty)).toBe('The file cannot be imported: the file is empty');
  });

  it('writes numbers as the language does and nouns in their plural form', () => {
    setLanguage('ru');
    expect(t('import_rows', { name: 'база.csv', n: 1 })).toBe('«база.csv»: 1 строка');
    expect(t('import_rows', { name: 'база.csv', n: 3 })).toBe('«база.csv»: 3 строки');
    expect(t('import_rows', { name: 'база.csv', n: 11 })).toBe('«база.csv»: 11 строк');
    expect(t('import_rows', { name: 'база.csv', n: 21 })).toBe('«база.csv»: 21 строка');
    expect(t('prospects_count', { n: 100000 })).toBe('Точек: 100\u00a0000');
    expect(plural(1.5, ['точка', 'точки', 'точек'])).toBe('точки');
    setLanguage('en');
    expect(t('import_rows', { name: 'base.csv', n: 1 })).toBe('“base.csv”: 1 row');
    expect(t('import_rows', { name: 'base.csv', n: 250000 })).toBe('“base.csv”: 250,000 rows');
    expect(t('line', { n: 4 })).toBe('Line 4');
  });

  it('sorts names as people do: numbers by value, case and ё ignored', () => {
    setLanguage('ru');
    const names = ['Магазин 10', 'магазин 2', 'Ёлочка', 'Елена', 'Магазин 1'];
    expect([...names].sort(compareNames)).toEqual(['Елена', 'Ёлочка', 'Магазин 1', 'магазин 2', 'Магазин 10']);
    expect(compareNames('ёлка', 'елка')).toBe(0);
  });
});
