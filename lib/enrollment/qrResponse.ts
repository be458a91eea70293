// A QR image as an HTTP download (shared by the PNG and SVG routes).
export function qrResponse(qr: { body: Uint8Array | string; contentType: string; filename: string }): Response {
  const body = typeof qr.body === "string" ? qr.body : new Uint8Array(qr.body);
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": qr.contentType,
      "content-disposition": `attachment; filename="${qr.filename}"`,
      "cache-control": "private, no-store",
      // The SVG is ours and static; still, never let it run script if opened directly.
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}
