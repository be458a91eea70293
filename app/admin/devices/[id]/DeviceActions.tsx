// The device actions Apple's schemas allow for this device (computed in lib/mdm/deviceActions.ts),
// each a form with its options and a confirmation step.
import { ActionForm, type Confirm } from "@/components/ui/ActionForm";
import { input, label } from "@/components/ui/styles";
import { ACTION_SPECS, type DeviceAction } from "@/lib/mdm/deviceActions";
import { deviceActionAction } from "./actions";

function Text({ id, name, text, placeholder, required, pattern }: { id: string; name: string; text: string; placeholder?: string; required?: boolean; pattern?: string }) {
  return (
    <div className="min-w-40 flex-1">
      <label htmlFor={id} className={label}>
        {text}
      </label>
      <input id={id} name={name} className={input} placeholder={placeholder} required={required} pattern={pattern} autoComplete="off" />
    </div>
  );
}

function confirmFor(action: DeviceAction, name: string): Confirm {
  switch (action) {
    case "erase":
      return { title: `Erase ${name}?`, message: "All content and settings on the device are erased. This cannot be undone.", confirmLabel: "Erase device" };
    case "lock":
      return { title: `Lock ${name}?`, message: "The device locks immediately; its user needs the passcode (or the PIN on a Mac) to unlock it.", confirmLabel: "Lock device" };
    case "remove-management":
      return {
        title: `Remove management from ${name}?`,
        message: "The enrollment profile is removed with everything it installed; the device is unenrolled when it confirms.",
        confirmLabel: "Remove management",
      };
    case "clear-passcode":
      return { title: `Clear the passcode of ${name}?`, message: "The device's passcode is removed with the unlock token it escrowed.", confirmLabel: "Clear passcode" };
    default:
      return {
        title: `${ACTION_SPECS[action].label}: ${name}?`,
        message: `Sends ${ACTION_SPECS[action].requestType} to the device the next time it is reached.`,
        confirmLabel: ACTION_SPECS[action].label,
      };
  }
}

function Fields({ action, mac }: { action: DeviceAction; mac: boolean }) {
  const id = (f: string) => `action-${action}-${f}`;
  switch (action) {
    case "lock":
      return (
        <>
          <Text id={id("message")} name="message" text="Lock screen message" />
          <Text id={id("phone")} name="phoneNumber" text="Phone number" />
          {mac && <Text id={id("pin")} name="pin" text="Six-digit PIN" required pattern="[0-9]{6}" />}
        </>
      );
    case "erase":
      return (
        <>
          {mac && <Text id={id("pin")} name="pin" text="Six-digit PIN (Macs without Apple silicon or T2)" pattern="[0-9]{6}" />}
          {!mac && (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="returnToService" /> Return to Service (iOS 17+)
            </label>
          )}
        </>
      );
    case "enable-lost-mode":
      return (
        <>
          <Text id={id("message")} name="message" text="Message" />
          <Text id={id("phone")} name="phoneNumber" text="Phone number" />
          <Text id={id("footnote")} name="footnote" text="Footnote" />
        </>
      );
    case "rename":
      return <Text id={id("name")} name="deviceName" text="New device name" required />;
    default:
      return null;
  }
}

export function DeviceActions({ deviceId, name, actions, mac }: { deviceId: string; name: string; actions: DeviceAction[]; mac: boolean }) {
  return (
    <ul className="divide-y divide-slate-100 dark:divide-slate-800">
      {actions.map((a) => (
        <li key={a} className="py-2">
          <ActionForm
            action={deviceActionAction}
            hidden={{ deviceId, action: a }}
            submitLabel={ACTION_SPECS[a].label}
            pendingLabel="Queuing…"
            variant={a === "erase" || a === "remove-management" || a === "lock" ? "danger" : "secondary"}
            className="flex flex-wrap items-end gap-2"
            confirm={confirmFor(a, name)}
          >
            <Fields action={a} mac={mac} />
          </ActionForm>
        </li>
      ))}
    </ul>
  );
}
