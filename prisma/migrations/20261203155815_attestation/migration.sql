-- AlterTable
ALTER TABLE "ScepChallenge" ADD COLUMN "boundUdid" TEXT;

-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN "boundUdid" TEXT;

-- AlterTable
ALTER TABLE "Device" ADD COLUMN "attestation" TEXT;
ALTER TABLE "Device" ADD COLUMN "attestationNonce" TEXT;
ALTER TABLE "Device" ADD COLUMN "attestationRequestedAt" DATETIME;
ALTER TABLE "Device" ADD COLUMN "attestationStatus" TEXT;
ALTER TABLE "Device" ADD COLUMN "attestedAt" DATETIME;

-- CreateTable
CREATE TABLE "DeviceBinding" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tokenId" TEXT NOT NULL,
    "challengeHash" TEXT NOT NULL,
    "reservationId" TEXT,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "udid" TEXT,
    "serialNumber" TEXT,
    "product" TEXT,
    "version" TEXT,
    "deviceName" TEXT,
    "appleSigned" BOOLEAN,
    "identityKind" TEXT,
    "remoteAddr" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "DeviceBinding_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "EnrollmentToken" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

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
    "shortId" TEXT,
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
    "deviceBound" BOOLEAN NOT NULL DEFAULT false,
    "requireAttestation" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "EnrollmentToken_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DeviceGroup" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "EnrollmentToken_scepProfileId_fkey" FOREIGN KEY ("scepProfileId") REFERENCES "ScepProfile" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "EnrollmentToken_externalScepProfileId_fkey" FOREIGN KEY ("externalScepProfileId") REFERENCES "ExternalScepProfile" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_EnrollmentToken" ("claimedCount", "createdAt", "createdBy", "deviceLimit", "expiresAt", "externalScepProfileId", "groupId", "id", "jwtEnc", "maxUses", "name", "personEmail", "revokedAt", "scepProfileId", "shortId", "terms", "useCount") SELECT "claimedCount", "createdAt", "createdBy", "deviceLimit", "expiresAt", "externalScepProfileId", "groupId", "id", "jwtEnc", "maxUses", "name", "personEmail", "revokedAt", "scepProfileId", "shortId", "terms", "useCount" FROM "EnrollmentToken";
DROP TABLE "EnrollmentToken";
ALTER TABLE "new_EnrollmentToken" RENAME TO "EnrollmentToken";
CREATE UNIQUE INDEX "EnrollmentToken_shortId_key" ON "EnrollmentToken"("shortId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "DeviceBinding_challengeHash_key" ON "DeviceBinding"("challengeHash");

-- CreateIndex
CREATE INDEX "DeviceBinding_tokenId_createdAt_idx" ON "DeviceBinding"("tokenId", "createdAt");

-- CreateIndex
CREATE INDEX "DeviceBinding_udid_idx" ON "DeviceBinding"("udid");
