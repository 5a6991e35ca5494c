// The imaging screens' words, added to the dictionaries when their chunk loads (every imaging
// screen imports this module; esbuild puts it in their shared chunk).
import { imagingEn } from '../i18n/imaging-en';
import { imagingEs } from '../i18n/imaging-es';
import { addMessages } from '../i18n';

addMessages({ en: imagingEn, es: imagingEs });
