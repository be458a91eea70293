import type { Metadata, Viewport } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Open Enroll", template: "%s · Open Enroll" },
  description: "Apple device enrollment server",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: "#1e63d6" };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">{children}</body>
    </html>
  );
}
