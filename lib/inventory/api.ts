// The devices API's calls: parse, query, shape as JSON.
import { deviceDetailJson, getDeviceDetail } from "./deviceDetail";
import { deviceRowJson, listDevices, parseDeviceQuery } from "./devices";

export async function listDevicesRequest(params: URLSearchParams) {
  const page = await listDevices(parseDeviceQuery(params));
  return { devices: page.rows.map(deviceRowJson), total: page.total, nextCursor: page.nextCursor };
}

export async function deviceDetailRequest(key: string) {
  return deviceDetailJson(await getDeviceDetail(key, { commands: 200, logLines: 0 }));
}
