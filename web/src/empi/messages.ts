// The workspace's words, added to the dictionaries when its first screen's chunk loads (every
// screen of the workspace imports this module; esbuild puts it in their shared chunk).
import { empiEn } from '../i18n/empi-en';
import { empiEs } from '../i18n/empi-es';
import { addMessages } from '../i18n';

addMessages({ en: empiEn, es: empiEs });
