// The console's entry: styles, the router's link handling, the session check, then the app.
import { render } from 'preact';
import { App, preloadScreen } from './app';
import { setLanguage, language } from './i18n';
import { prefetchFirstCall } from './prefetch';
import { matchRoute, place, startRouter } from './router';
import { startSession } from './session';
import './styles.css';

setLanguage(language.get()); // <html lang> from the browser's language until someone signs in
startRouter();
// The opened page's code, and its first call once the session exists, load alongside the
// start-up refresh rather than one after the other.
const opened = matchRoute(place.get().path);
preloadScreen(opened);
prefetchFirstCall(opened);
void startSession();
const root = document.getElementById('app');
if (root) render(<App />, root);
