import { mount } from 'svelte';
import { getCurrentWindow } from '@tauri-apps/api/window';
import App from './App.svelte';
import { saveEverything } from './lib/unsaved';
import './app.css';

// Closing the window saves the open visit form first (the window closes once it is saved).
void getCurrentWindow().onCloseRequested(() => saveEverything());

const target = document.getElementById('app');
if (!target) throw new Error('the page has no #app element');
export default mount(App, { target });
