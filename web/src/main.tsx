// The console's entry: styles, the router's link handling, the session check, then the app.
import { render } from 'preact';
import { App } from './app';
import { setLanguage, language } from './i18n';
import { startRouter } from './router';
import { startSession } from './session';
import './styles.css';

setLanguage(language.get()); // <html lang> from the browser's language until someone signs in
startRouter();
void startSession();
const root = document.getElementById('app');
if (root) render(<App />, root);
