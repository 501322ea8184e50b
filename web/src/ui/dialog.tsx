/**
 * Modal dialogs on the native <dialog> (the page behind becomes inert), plus a focus
 * trap that keeps Tab inside, Escape to cancel, and focus handed back to the opener.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useLayoutEffect, useRef } from 'preact/hooks';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

interface DialogProps {
  open: boolean;
  title: string;
  onClose(): void;
  children: ComponentChildren;
  /** CSS selector of the element to focus first (default: the first focusable). */
  initialFocus?: string;
  wide?: boolean;
}

export function Dialog({ open, title, onClose, children, initialFocus, wide }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;

  // A layout effect: closing and handing focus back happen in the same commit that
  // removes the content, so focus never falls to <body> in between.
  useLayoutEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement as HTMLElement | null;
      d.showModal();
      const first =
        (initialFocus ? d.querySelector<HTMLElement>(initialFocus) : null) ??
        d.querySelector<HTMLElement>(FOCUSABLE);
      first?.focus();
    } else if (!open && d.open) {
      d.close();
      opener.current?.focus?.();
    }
  }, [open, initialFocus]);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const onCancel = (e: Event) => {
      e.preventDefault();
      close.current();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Tab') return;
      const items = [...d.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
      if (items.length === 0) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    };
    d.addEventListener('cancel', onCancel);
    d.addEventListener('keydown', onKey);
    return () => {
      d.removeEventListener('cancel', onCancel);
      d.removeEventListener('keydown', onKey);
    };
  }, []);

  return (
    <dialog ref={ref} class={wide ? 'dialog dialog-wide' : 'dialog'} aria-labelledby={titleId}>
      {open && (
        <>
          <div class="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" class="icon-button" aria-label="Close" onClick={() => close.current()}>
              ×
            </button>
          </div>
          <div class="dialog-body">{children}</div>
        </>
      )}
    </dialog>
  );
}

interface ConfirmProps {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel?: string;
  cancelLabel?: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm(): void;
  onCancel(): void;
}

/** Yes/No. Focus starts on "No": Enter by reflex must not remove anything. */
export function Confirm(p: ConfirmProps) {
  return (
    <Dialog open={p.open} title={p.title} onClose={p.onCancel} initialFocus="[data-cancel]">
      <div class="confirm-text">{p.children}</div>
      <div class="dialog-actions">
        <button type="button" class="button" data-cancel onClick={p.onCancel}>
          {p.cancelLabel ?? 'No'}
        </button>
        <button
          type="button"
          class={p.danger ? 'button button-danger' : 'button button-primary'}
          disabled={p.busy}
          onClick={p.onConfirm}
        >
          {p.confirmLabel ?? 'Yes'}
        </button>
      </div>
    </Dialog>
  );
}
