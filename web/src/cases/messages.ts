// The case screens' words, added to the dictionaries when their chunk loads (every case screen
// imports this module; esbuild puts it in their shared chunk).
import { casesEn } from '../i18n/cases-en';
import { casesEs } from '../i18n/cases-es';
import { addMessages } from '../i18n';

addMessages({ en: casesEn, es: casesEs });
