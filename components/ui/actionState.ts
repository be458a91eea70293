// What a portal server action answers: a message for the person, and secrets to show once.
export interface ActionState {
  ok?: string;
  error?: string;
  /** Shown once (SCEP static password, NDES credentials); never stored in the page. */
  secrets?: { label: string; value: string }[];
  /** A file the action produced, offered as a download link (e.g. a signed request). */
  download?: { filename: string; contentType: string; text: string; label: string };
  /** Where to go next (e.g. the object just created). */
  next?: { href: string; label: string };
  /** Bumped on every success so forms can reset themselves. */
  done?: number;
}

export type FormAction = (prev: ActionState, form: FormData) => Promise<ActionState>;
