-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN "externalProfileId" TEXT;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_EnrollmentToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "groupId" TEXT,
    "scepProfileId" TEXT,
    "externalScepProfileId" TEXT,
    "jwtEnc" TEXT,
    "maxUses" INTEGER NOT NULL DEFAULT 0,
    "useCount" INTEGER NOT NULL DEFAULT 0,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "createdBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "EnrollmentToken_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DeviceGroup" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "EnrollmentToken_scepProfileId_fkey" FOREIGN KEY ("scepProfileId") REFERENCES "ScepProfile" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "EnrollmentToken_externalScepProfileId_fkey" FOREIGN KEY ("externalScepProfileId") REFERENCES "ExternalScepProfile" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_EnrollmentToken" ("createdAt", "createdBy", "expiresAt", "groupId", "id", "jwtEnc", "maxUses", "name", "revokedAt", "scepProfileId", "useCount") SELECT "createdAt", "createdBy", "expiresAt", "groupId", "id", "jwtEnc", "maxUses", "name", "revokedAt", "scepProfileId", "useCount" FROM "EnrollmentToken";
DROP TABLE "EnrollmentToken";
ALTER TABLE "new_EnrollmentToken" RENAME TO "EnrollmentToken";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
