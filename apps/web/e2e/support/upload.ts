import type { Page } from "playwright-core";

/** Drops a file on the drop zone the way a browser does: a DataTransfer carrying a File, dragged over, dropped. */
export async function dropFile(page: Page, testId: string, file: { name: string; text: string }) {
  const dataTransfer = await page.evaluateHandle(({ name, text }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name, { type: "text/csv" }));
    return transfer;
  }, file);
  const zone = page.getByTestId(testId);
  await zone.dispatchEvent("dragenter", { dataTransfer });
  await zone.dispatchEvent("dragover", { dataTransfer });
  await zone.dispatchEvent("drop", { dataTransfer });
}
