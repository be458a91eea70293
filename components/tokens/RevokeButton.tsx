"use client";
// Revoking cannot be undone, so it asks first.
import { revokeTokenAction } from "@/app/admin/enrollment/tokens/actions";

export function RevokeButton({ id, name }: { id: string; name: string }) {
  return (
    <form
      action={revokeTokenAction}
      onSubmit={(e) => {
        if (!window.confirm(`Revoke the token "${name}"? Devices can no longer enroll with its link or QR code. This cannot be undone.`)) e.preventDefault();
      }}
    >
      <input type="hidden" name="id" value={id} />
      <button type="submit" className="rounded-md border border-red-300 px-2.5 py-1 text-sm text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950">
        Revoke
      </button>
    </form>
  );
}
