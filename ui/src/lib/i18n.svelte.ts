// Russian and English, switchable at any moment; the choice is remembered on the device.

export type Language = 'ru' | 'en';

const messages = {
  ru: {
    app_name: 'Census',
    sign_in_title: 'Вход',
    sign_in_hint: 'Войдите один раз; после этого всё работает без сети.',
    server: 'Адрес сервера',
    login: 'Логин',
    password: 'Пароль',
    sign_in: 'Войти',
    signing_in: 'Вход…',
    search: 'Поиск по названию, адресу, телефону',
    all_statuses: 'Все статусы',
    sort_name: 'По названию',
    sort_recent: 'Недавно изменённые',
    sort_status: 'По статусу',
    conflicts_only: 'Только с конфликтами',
    no_prospects: 'Нет точек. Синхронизируйте устройство или добавьте точку.',
    pending: 'Ждут отправки: {n}',
    last_sync: 'Синхронизация: {when}',
    never_synced: 'Ещё не синхронизировано',
    sync: 'Синхронизировать',
    syncing: 'Синхронизация…',
    synced: 'Готово: отправлено изменений {pushed}, обновлено точек {received}',
    conflict: 'Конфликт',
    contacts: 'Контакты',
    visits: 'Визиты',
    notes: 'Заметки',
    history: 'История изменений',
    address: 'Адрес',
    category: 'Категория',
    status: 'Статус',
    close: 'Закрыть',
    new_prospect: 'Новая точка',
    name: 'Название',
    territory: 'Территория',
    street: 'Улица, дом',
    city: 'Город',
    latitude: 'Широта',
    longitude: 'Долгота',
    save: 'Сохранить',
    cancel: 'Отмена',
    need_name: 'Укажите название',
    need_territory: 'Выберите территорию',
    bad_position: 'Широта от −90 до 90, долгота от −180 до 180, или оставьте оба поля пустыми',
    language: 'English',
    'status.new': 'Новая',
    'status.visited': 'Посещена',
    'status.interested': 'Интерес',
    'status.negotiating': 'Переговоры',
    'status.client': 'Клиент',
    'status.refused': 'Отказ',
    'status.closed': 'Закрыта',
    'status.not_found': 'Не найдена',
  },
  en: {
    app_name: 'Census',
    sign_in_title: 'Sign in',
    sign_in_hint: 'Sign in once; afterwards everything works without a network.',
    server: 'Server address',
    login: 'Login',
    password: 'Password',
    sign_in: 'Sign in',
    signing_in: 'Signing in…',
    search: 'Search by name, address, phone',
    all_statuses: 'All statuses',
    sort_name: 'By name',
    sort_recent: 'Recently changed',
    sort_status: 'By status',
    conflicts_only: 'Only with conflicts',
    no_prospects: 'No prospects. Sync this device or add a prospect.',
    pending: 'Waiting to send: {n}',
    last_sync: 'Synced: {when}',
    never_synced: 'Not synced yet',
    sync: 'Sync',
    syncing: 'Syncing…',
    synced: 'Done: {pushed} changes sent, {received} prospects updated',
    conflict: 'Conflict',
    contacts: 'Contacts',
    visits: 'Visits',
    notes: 'Notes',
    history: 'History of changes',
    address: 'Address',
    category: 'Category',
    status: 'Status',
    close: 'Close',
    new_prospect: 'New prospect',
    name: 'Name',
    territory: 'Territory',
    street: 'Street and number',
    city: 'City',
    latitude: 'Latitude',
    longitude: 'Longitude',
    save: 'Save',
    cancel: 'Cancel',
    need_name: 'Give it a name',
    need_territory: 'Choose a territory',
    bad_position: 'Latitude from −90 to 90 and longitude from −180 to 180, or leave both empty',
    language: 'Русский',
    'status.new': 'New',
    'status.visited': 'Visited',
    'status.interested': 'Interested',
    'status.negotiating': 'Negotiating',
    'status.client': 'Client',
    'status.refused': 'Refused',
    'status.closed': 'Closed',
    'status.not_found': 'Not found',
  },
} as const;

export type MessageKey = keyof (typeof messages)['ru'];

function initial(): Language {
  const saved = globalThis.localStorage?.getItem('census.language');
  return saved === 'en' || saved === 'ru' ? saved : 'ru';
}

export const i18n = $state({ language: initial() });

export function setLanguage(language: Language): void {
  i18n.language = language;
  globalThis.localStorage?.setItem('census.language', language);
  if (typeof document !== 'undefined') document.documentElement.lang = language;
}

/** The message in the current language, with `{name}` placeholders filled in. */
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  const text: string = messages[i18n.language][key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? `{${name}}`));
}

export function formatTime(millis: number | null): string {
  if (millis === null) return '—';
  const locale = i18n.language === 'ru' ? 'ru-RU' : 'en-GB';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(millis));
}
