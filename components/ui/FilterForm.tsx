// Pieces every filtered admin list shares (log, audit log, devices, tokens): the refusal of a
// filter the server could not read, the order choice, and Apply with Clear back to the list.
import Link from "next/link";
import { btn, btnSecondary, input, label } from "./styles";

/** Why the filters were refused (the page still shows its unfiltered list). */
export function FilterError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p role="alert" className="mb-4 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
      {error}
    </p>
  );
}

export function OrderSelect({ order }: { order: "asc" | "desc" }) {
  return (
    <div>
      <label htmlFor="order" className={label}>
        Order
      </label>
      <select id="order" name="order" defaultValue={order} className={input}>
        <option value="desc">Newest first</option>
        <option value="asc">Oldest first</option>
      </select>
    </div>
  );
}

/** Apply, and Clear (back to `clearHref`) while any filter is set. */
export function FilterActions({ filtered, clearHref, className = "flex items-end gap-2" }: { filtered: boolean; clearHref: string; className?: string }) {
  return (
    <div className={className}>
      <button type="submit" className={btn}>
        Apply filters
      </button>
      {filtered && (
        <Link href={clearHref} className={btnSecondary}>
          Clear
        </Link>
      )}
    </div>
  );
}
