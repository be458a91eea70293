-- AlterTable
ALTER TABLE "Device" ADD COLUMN "personEmail" TEXT;
ALTER TABLE "Device" ADD COLUMN "termsAcceptedAt" DATETIME;
ALTER TABLE "Device" ADD COLUMN "termsAcceptedBy" TEXT;
ALTER TABLE "Device" ADD COLUMN "termsHash" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN "termsAcceptedAt" DATETIME;
ALTER TABLE "User" ADD COLUMN "termsHash" TEXT;

-- AlterTable
ALTER TABLE "AddeRoute" ADD COLUMN "deviceLimit" INTEGER;
ALTER TABLE "AddeRoute" ADD COLUMN "terms" TEXT;

-- CreateTable
CREATE TABLE "EnrollmentReservation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tokenId" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "spentAt" DATETIME,
    "releasedAt" DATETIME,
    "deviceId" TEXT,
    "termsHash" TEXT,
    "termsAcceptedAt" DATETIME,
    "acceptedBy" TEXT,
    "remoteAddr" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "EnrollmentReservation_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "EnrollmentToken" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_EnrollmentToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "groupId" TEXT,
    "scepProfileId" TEXT,
    "jwtEnc" TEXT,
    "maxUses" INTEGER NOT NULL DEFAULT 0,
    "useCount" INTEGER NOT NULL DEFAULT 0,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "createdBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimedCount" INTEGER NOT NULL DEFAULT 0,
    "deviceLimit" INTEGER,
    "personEmail" TEXT,
    "terms" TEXT,
    CONSTRAINT "EnrollmentToken_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DeviceGroup" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "EnrollmentToken_scepProfileId_fkey" FOREIGN KEY ("scepProfileId") REFERENCES "ScepProfile" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_EnrollmentToken" ("createdAt", "createdBy", "expiresAt", "groupId", "id", "jwtEnc", "maxUses", "name", "revokedAt", "scepProfileId", "useCount") SELECT "createdAt", "createdBy", "expiresAt", "groupId", "id", "jwtEnc", "maxUses", "name", "revokedAt", "scepProfileId", "useCount" FROM "EnrollmentToken";
DROP TABLE "EnrollmentToken";
ALTER TABLE "new_EnrollmentToken" RENAME TO "EnrollmentToken";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "EnrollmentReservation_secretHash_key" ON "EnrollmentReservation"("secretHash");

-- CreateIndex
CREATE INDEX "EnrollmentReservation_tokenId_spentAt_releasedAt_idx" ON "EnrollmentReservation"("tokenId", "spentAt", "releasedAt");

-- Uses counted before reservations existed stay spent: claimed = spent + reserved.
UPDATE "EnrollmentToken" SET "claimedCount" = "useCount";
