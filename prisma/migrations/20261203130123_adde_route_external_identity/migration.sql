-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_AddeRoute" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "position" INTEGER NOT NULL,
    "domain" TEXT NOT NULL,
    "userMatch" TEXT,
    "modelFamily" TEXT,
    "version" TEXT NOT NULL,
    "baseUrl" TEXT,
    "groupId" TEXT,
    "externalScepProfileId" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AddeRoute_externalScepProfileId_fkey" FOREIGN KEY ("externalScepProfileId") REFERENCES "ExternalScepProfile" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_AddeRoute" ("baseUrl", "createdAt", "domain", "enabled", "groupId", "id", "modelFamily", "position", "userMatch", "version") SELECT "baseUrl", "createdAt", "domain", "enabled", "groupId", "id", "modelFamily", "position", "userMatch", "version" FROM "AddeRoute";
DROP TABLE "AddeRoute";
ALTER TABLE "new_AddeRoute" RENAME TO "AddeRoute";
CREATE INDEX "AddeRoute_position_idx" ON "AddeRoute"("position");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
