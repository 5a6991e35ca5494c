// Pieces the administration screens share.
import type { Choice } from '../components/fields';
import { t } from '../i18n';
import { roleLabel, roles } from '../roles';

export function roleChoices(): Choice[] {
  return roles.map((r) => ({ value: r, label: roleLabel(r) }));
}

export function StatusBadge(props: { status: string }) {
  const label =
    props.status === 'active'
      ? t('status.active')
      : props.status === 'disabled'
        ? t('status.disabled')
        : props.status;
  return <span class={`badge badge-${props.status === 'active' ? 'ok' : 'off'}`}>{label}</span>;
}
